package dev.streamfit.testkit;

/** A running Kafka cluster for tests, injected by {@link KafkaBrokerExtension}. */
public interface KafkaBroker {
  /** {@code bootstrap.servers} value. */
  String bootstrapServers();

  /** {@code embedded} or {@code testcontainers}. */
  String kind();
}
