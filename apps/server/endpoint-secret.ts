// An endpoint's sealed token and secret: the AES-GCM associated data binds each sealed value to
// its endpoint, so a sealed secret copied onto another row cannot be opened. One home for both the
// ingest path (opening) and the admin procedures (sealing).
import type { Endpoint } from '../../db/schema';
import type { SecretBox } from '../../lib/crypto';

export const tokenAad = (endpointId: string) => `endpoint-token:${endpointId}`;
export const secretAad = (endpointId: string) => `endpoint-secret:${endpointId}`;

/** The endpoint's current secret, opened from its sealed form; bound to the endpoint's id. */
export function endpointSecret(box: SecretBox, endpoint: Pick<Endpoint, 'id' | 'secretSealed'>): string {
  return box.open(endpoint.secretSealed, secretAad(endpoint.id));
}
