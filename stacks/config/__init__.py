"""The config machinery: how stack files are read (`source`), the strict base model and the
defaults merge (`types`), problems and the one error that lists them (`errors`, `problems`), the
checks beyond types (`checks`), keys outside `meridian:` (`foreign`), the layers' settings
registry (`registry`) and the environment-wide gate (`gate`). The typed settings themselves are
loaded by `stacks.settings.load_settings`."""
