import type { Cluster, Redis } from 'ioredis';

/**
 * The client the Redis adapters take: one server (or the master Sentinel names), or a Redis
 * Cluster. Every command and script they send touches the keys of one hash slot, so both serve.
 */
export type RedisClient = Redis | Cluster;
