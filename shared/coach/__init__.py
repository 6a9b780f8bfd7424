"""GenAI coaching: the built-in coach (default, offline, deterministic), the OpenAI coach
(Conversations + background Responses, when OPENAI_API_KEY is set), and the threads the
summary and recommendation endpoints create and a task writes."""
