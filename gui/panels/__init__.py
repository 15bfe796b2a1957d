"""Side panels. Each panel holds widgets only: it writes to the ScenarioModel or
emits signals; it never touches the engine or the 3D visuals."""
