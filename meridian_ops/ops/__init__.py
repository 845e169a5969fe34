"""Operations against real accounts: the wave orchestrator (`make up`/`destroy`), state bootstrap,
regional failover, drain, the upgrade gate and the CI matrix of the deploy workflows."""
