import type { Backend } from '@cairn/core';

const beneath = new WeakMap<Backend, Backend>();

/** Records that `wrapper` (a cache, retries) delegates to `inner`, so questions about the backend itself reach it. */
export function noteWrapper<B extends Backend>(wrapper: B, inner: Backend): B {
  beneath.set(wrapper, inner);
  return wrapper;
}

/** `backend` and every backend it wraps, outermost first. */
export function* backendLayers(backend: Backend): Generator<Backend> {
  for (let layer: Backend | undefined = backend; layer !== undefined; layer = beneath.get(layer)) yield layer;
}
