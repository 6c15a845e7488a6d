export async function prepare(id: string): Promise<string> {
  return id;
}
export async function seal(id: string): Promise<string> {
  return id;
}
