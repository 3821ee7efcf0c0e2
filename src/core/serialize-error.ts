/** An error as log fields: its type, message and stack, or the thrown value as text. */
export function serializeError(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : { value: String(error) };
}
