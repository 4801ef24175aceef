package dev.streamfit.schemas;

/**
 * Settings every transactional producer of streamfit shares (ingest, the augment stage's Kafka Streams
 * producers, serving's topic inference).
 *
 * <p>{@link #MAX_IN_FLIGHT}: with transactions v2 (KIP-890, the default on Kafka 4 brokers) a producer's
 * first batch to a partition in each transaction must carry sequence 0, because every commit bumps the
 * producer epoch. When that first batch is refused with the retriable {@code CONCURRENT_TRANSACTIONS}
 * (the coordinator is still writing the previous transaction's commit markers, which happens under load)
 * while the partition's next batch is already in flight, the broker rejects the next batch with a retriable
 * {@code OUT_OF_ORDER_SEQUENCE_NUMBER} ("Expected sequence 0 for transactions v2 idempotent producer with no
 * existing state", KAFKA-18202) and its {@code ReplicaManager} logs that at ERROR with a stack trace. The
 * client retries both and nothing is lost or duplicated, but the log reads as a failure. One request in
 * flight per connection closes the window: the next batch leaves only after the first is appended (its
 * cost, measured: README, "What a run prints").
 */
public final class Transactions {
  /** {@code max.in.flight.requests.per.connection} for transactional producers. */
  public static final int MAX_IN_FLIGHT = 1;

  private Transactions() {}
}
