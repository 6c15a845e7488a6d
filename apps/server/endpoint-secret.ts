import type { Endpoint } from '../../db/schema';
import type { SecretBox } from '../../lib/crypto';
import { secretAad } from './trpc/routers/endpoints/endpoint-view';

/** The endpoint's current secret, opened from its sealed form; bound to the endpoint's id. */
export function endpointSecret(box: SecretBox, endpoint: Pick<Endpoint, 'id' | 'secretSealed'>): string {
  return box.open(endpoint.secretSealed, secretAad(endpoint.id));
}
