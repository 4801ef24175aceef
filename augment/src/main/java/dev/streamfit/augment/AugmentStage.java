package dev.streamfit.augment;

import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TopicsAdmin;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The augment stage: runs {@link AugmentTopology} as an exactly-once ({@code exactly_once_v2}) Kafka
 * Streams application. Scale out by starting more instances with the same application id (up to the
 * partition count of {@code images.raw}). {@link #close()} is idempotent.
 */
public final class AugmentStage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AugmentStage.class);
  private final KafkaStreams streams;

  private AugmentStage(KafkaStreams streams) {
    this.streams = streams;
  }

  /** Creates missing topics and starts the stage. */
  public static AugmentStage start(AugmentConfig config) {
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    KafkaStreams streams = new KafkaStreams(AugmentTopology.build(config), streamsProperties(config));
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("augment stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.start();
    LOG.info("augment stage started: {} → {} ({} epochs, {} px, {} threads)", config.topics().raw(),
        config.topics().augmented(), config.epochs(), config.imageSize(), config.streamThreads());
    return new AugmentStage(streams);
  }

  /** Kafka Streams properties for {@code config}. */
  public static Properties streamsProperties(AugmentConfig config) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) config.topics().replicationFactor());
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), Topics.RAW_MAX_BYTES);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), 4 * Topics.RAW_MAX_BYTES);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 50);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Topics.AUGMENTED_MAX_BYTES);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    return p;
  }

  /** Current Kafka Streams state. */
  public KafkaStreams.State state() {
    return streams.state();
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
