"""Stack compositions: each role (global, regional, edge) composes components from config."""
