"""The adapters: the only modules that talk to Firestore, Storage, Tasks, Auth and OpenAI."""
