"""The one text-generation interface (`generate(requests) -> results`, with an async
twin) shared by teacher, student and policy, and its clients: in-process sampler,
JetStream gRPC and OpenAI-compatible HTTP. Imports nothing of data_gen or curriculum."""
