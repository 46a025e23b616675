"""Actions: scripts (TypeScript with Deno, or Python) run by the executor with a pre-authenticated client."""
