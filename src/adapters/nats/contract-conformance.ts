import type { z } from 'zod';
import type { ResetEvent } from '../../domain/events.js';
import type { outboundData, OutboundType } from '../../contract/schemas.js';

/*
 * The domain names its facts in plain types; the contract validates them with zod. This file ties the
 * two at compile time: a reason, field or event added to one side only fails `npm run typecheck`.
 */

/** True only when A and B are the same type (mutual assignability would let optional fields slip). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type Normalised<T> = { [K in keyof T]: T[K] };
type DomainData<N extends OutboundType> = Normalised<Extract<ResetEvent, { name: N }>['data']>;
type ContractData<N extends OutboundType> = Normalised<z.output<(typeof outboundData)[N]>>;

type Check<T extends true> = T;

export type EventNamesConform = Check<Same<ResetEvent['name'], OutboundType>>;
export type EventDataConforms = Check<Same<{ [N in OutboundType]: Same<DomainData<N>, ContractData<N>> }, { [N in OutboundType]: true }>>;
