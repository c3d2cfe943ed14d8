import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { activeContext, bindToContext, runInContext, SynchronousContextManager } from '../../../src/adapters/otel/message-context.js';

const KEY = createContextKey('message');
const messageContext = (name: string) => ROOT_CONTEXT.setValue(KEY, name);
const nameIn = () => activeContext().getValue(KEY);

describe('the message context', () => {
  afterEach(() => context.disable());

  it('is active for the synchronous part of a call, and ROOT again after it, whether it returned or threw', () => {
    expect(runInContext(messageContext('a'), nameIn)).toBe('a');
    const fails = () => {
      throw new Error('boom');
    };
    expect(() => runInContext(messageContext('b'), fails)).toThrow('boom');
    expect(activeContext()).toBe(ROOT_CONTEXT);
  });

  it('is gone after an await: what needs it across one is handed it', async () => {
    const seen = await runInContext(messageContext('a'), async () => {
      const before = nameIn();
      await Promise.resolve();
      return [before, nameIn()];
    });
    expect(seen).toEqual(['a', undefined]);
  });

  it('binds a port: each of its calls starts in the context, however many messages are in flight', async () => {
    const port = {
      label: 'port',
      async record(): Promise<unknown> {
        const name = nameIn();
        await new Promise((resolve) => setTimeout(resolve, 1));
        return name;
      },
    };
    const handle = async (name: string) => {
      const bound = bindToContext(port, messageContext(name));
      await new Promise((resolve) => setTimeout(resolve, 1));
      return [await bound.record(), await bound.record(), bound.label];
    };
    expect(await Promise.all([handle('a'), handle('b')])).toEqual([
      ['a', 'a', 'port'],
      ['b', 'b', 'port'],
    ]);
  });

  it('binds a class instance: its own methods and inherited ones run on the instance itself, in the context', async () => {
    class Store {
      readonly #calls: string[] = [];
      save(what: string): string[] {
        this.#calls.push(`${what} in ${String(nameIn())}`);
        return this.#calls;
      }
      count(): number {
        return this.#calls.length;
      }
    }
    class LoudStore extends Store {
      override save(what: string): string[] {
        return super.save(what.toUpperCase());
      }
    }
    const store = new LoudStore();
    const a = bindToContext(store, messageContext('a'));
    const b = bindToContext(store, messageContext('b'));

    expect(a.save('x')).toEqual(['X in a']);
    expect(b.save('y')).toEqual(['X in a', 'Y in b']);
    expect(a.count()).toBe(2);
    expect(activeContext()).toBe(ROOT_CONTEXT);
  });

  it('is what OpenTelemetry sees once its manager is registered', () => {
    context.setGlobalContextManager(new SynchronousContextManager());
    expect(context.with(messageContext('a'), () => context.active().getValue(KEY))).toBe('a');
    const bound = context.bind(messageContext('b'), () => nameIn());
    expect(bound()).toBe('b');
    expect(context.active()).toBe(ROOT_CONTEXT);
  });
});
