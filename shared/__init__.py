"""LiftLab's product code, by layer.

- `domain`: the lifts, the access rules and the services that apply them (sessions,
  reports, history, progress); `coach`: the coaching rules and threads;
- `adapters`: Firestore, Cloud Storage, Cloud Tasks and Run, Firebase Auth, OpenAI;
- `formatters`: the read payloads, numbers-only series, engine result <-> documents;
- `analysis`: the engine;
- the edges: `config` (the environment), `http` and `routes` (the functions),
  `job` (the analysis job), `demo`, `video_probe` (an upload's sniff).
"""
