/** The Temporal header (workflow start, activity schedule) that carries a W3C traceparent. */
export const TRACEPARENT_HEADER = 'traceparent';
