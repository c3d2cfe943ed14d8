import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/*
 * The context of the message being handled (its trace and its audit scope), active for as long as
 * a call made in it runs synchronously; after an await it is gone. There is no AsyncLocalStorage:
 * on Node 20 its promise hooks run for every promise in the process, the NATS and Redis clients'
 * included, about 8 % of resetd's CPU per reset in the bench. Instead, what needs a message's
 * context across an await is handed it: each message's use case gets ports bound to its context
 * (`bindToContext`), and an adapter that reads the context after an await takes it in its first,
 * synchronous step (`activeContext`) and goes back into it (`runInContext`).
 */
let current: Context = ROOT_CONTEXT;

/** The context of the synchronous call under way; ROOT outside any. */
export function activeContext(): Context {
  return current;
}

/** Calls `fn` with `context` active until it returns (a promise it returns runs on without it). */
export function runInContext<A extends unknown[], R>(context: Context, fn: (...args: A) => R, ...args: A): R {
  const previous = current;
  current = context;
  try {
    return fn(...args);
  } finally {
    current = previous;
  }
}

/**
 * `port` with each of its methods called in `context`: what the adapter does before its first
 * await sees the message's context, though the use case calling it awaited before. A message gets
 * one small object per port, holding its context; the methods that go back into it are made once
 * per port, so a call costs no closure (a Proxy made one at every property read).
 */
export function bindToContext<T extends object>(port: T, context: Context): T {
  const bound = Object.create(boundMethodsOf(port)) as T & { [CONTEXT]: Context };
  bound[CONTEXT] = context;
  return bound;
}

const CONTEXT = Symbol('message context');
const boundMethods = new WeakMap<object, object>();

/** An object that inherits `port`'s fields and has each of its methods, called in `this[CONTEXT]`. */
function boundMethodsOf(port: object): object {
  let methods = boundMethods.get(port);
  if (methods) return methods;
  methods = Object.create(port) as object;
  for (const key of methodNamesOf(port)) {
    const method = (Reflect.get(port, key) as (...args: unknown[]) => unknown).bind(port);
    Object.defineProperty(methods, key, {
      value(this: { [CONTEXT]: Context }, ...args: unknown[]) {
        return runInContext(this[CONTEXT], method, ...args);
      },
    });
  }
  boundMethods.set(port, methods);
  return methods;
}

/** The names of the functions `port` holds or inherits (a getter is left as it is), its constructor's aside. */
function methodNamesOf(port: object): Set<PropertyKey> {
  const names = new Set<PropertyKey>();
  for (let level: object | null = port; level !== null && level !== Object.prototype; level = Object.getPrototypeOf(level) as object | null) {
    for (const key of Reflect.ownKeys(level)) {
      if (key === 'constructor' || names.has(key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(level, key);
      if (descriptor && typeof descriptor.value === 'function') names.add(key);
    }
  }
  return names;
}

/**
 * The same context as OpenTelemetry's API sees it (`context.active()`, `trace.getActiveSpan()`,
 * a log line's trace id), once `setUpTelemetry` registers it.
 */
export class SynchronousContextManager implements ContextManager {
  active(): Context {
    return current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return runInContext(context, () => fn.call(thisArg, ...args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return runInContext(context, () => fn.apply(this, args));
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    current = ROOT_CONTEXT;
    return this;
  }
}
