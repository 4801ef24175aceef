package dev.streamfit.common.kafka;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Kafka Streams properties shared by streamfit's Streams stages (augment, features): exactly-once v2, the
 * stage's threads, state directory and static membership, fast failover, and client profiles laid over the main
 * consumer and the producer. Stateless.
 */
public final class StreamsSettings {
  /** Transactions commit every 500 ms (the EOS default is 100 ms): fewer commit round trips per record. */
  public static final int COMMIT_INTERVAL_MS = 500;

  private StreamsSettings() {}

  /**
   * Exactly-once properties of application {@code applicationId}.
   *
   * @param instanceId {@code group.instance.id} for static membership (a restarted instance takes its partitions
   *     back at once); empty for none
   * @param consumer profiles for the stage's consumers (e.g. {@link ClientProfile#reading})
   * @param producer profiles for the stage's producers (e.g. {@link ClientProfile#writing})
   */
  public static Properties exactlyOnce(String applicationId, String bootstrap, int streamThreads,
      short replicationFactor, Path stateDir, String instanceId, List<ClientProfile> consumer, List<ClientProfile> producer) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    // No topology here has a global store; the flag only silences Streams' start-up warning about it (the
    // recommended setting, and the default from Kafka 5). Streams also builds a StreamsConfig from each main
    // consumer's configs (the partition assignor's) and warns again unless the consumer carries it too.
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    p.put(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG), true);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL_MS);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // A dead instance's partitions move after 10 s, not the default 45 s.
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 3_000);
    if (!instanceId.isEmpty()) {
      p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), instanceId);
    }
    for (ClientProfile c : consumer) {
      c.configs().forEach((k, v) -> p.put(StreamsConfig.consumerPrefix(k), v));
    }
    p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION),
        ClientProfile.TRANSACTIONAL_MAX_IN_FLIGHT); // Streams' producers are transactional
    for (ClientProfile c : producer) {
      c.configs().forEach((k, v) -> p.put(StreamsConfig.producerPrefix(k), v));
    }
    return p;
  }
}
