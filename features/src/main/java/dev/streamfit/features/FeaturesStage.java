package dev.streamfit.features;

import dev.streamfit.features.internal.ExtractorPool;
import dev.streamfit.features.internal.FeatureMaker;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TopicsAdmin;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
 * The features stage: runs {@link FeaturesTopology} as one exactly-once ({@code exactly_once_v2}) Kafka Streams
 * application per frozen prefix. Scale out by starting more instances with the same config (up to the partition count
 * of {@code images.augmented}); within one, by stream threads. {@link #close()} is idempotent; {@link #state()} is
 * thread-safe.
 */
public final class FeaturesStage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FeaturesStage.class);
  private final KafkaStreams streams;
  private final ExtractorPool pool;
  private boolean closed;

  private FeaturesStage(KafkaStreams streams, ExtractorPool pool) {
    this.streams = streams;
    this.pool = pool;
  }

  /** Creates missing topics, builds the prefix once per stream thread (seconds) and starts; meters kept privately. */
  public static FeaturesStage start(FeaturesConfig config) {
    return start(config, new SimpleMeterRegistry());
  }

  /** As {@link #start(FeaturesConfig)}, meters (records by outcome, forward time, Streams' own) in {@code registry}. */
  public static FeaturesStage start(FeaturesConfig config, MeterRegistry registry) {
    dev.streamfit.engine.Natives.load(); // before any thread of this stage starts
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    ExtractorPool pool = new ExtractorPool(config.prefix(), config.streamThreads());
    try {
      KafkaStreams streams = new KafkaStreams(FeaturesTopology.build(config, new FeatureMaker(pool, registry)),
          streamsProperties(config));
      new KafkaStreamsMetrics(streams).bindTo(registry);
      streams.setUncaughtExceptionHandler(e -> {
        LOG.error("features stream thread failed; replacing it", e);
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
      });
      streams.start();
      LOG.info("features stage started: {} → {} ({}, activations {} fp16, prefix {}, {} threads, application {})",
          config.topics().augmented(), config.topics().features(), config.prefix().describe(), pool.shape(),
          config.prefix().shortHash(), config.streamThreads(), config.streamsApplicationId());
      return new FeaturesStage(streams, pool);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  /** Kafka Streams properties of {@code config}. */
  public static Properties streamsProperties(FeaturesConfig config) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.streamsApplicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true); // see AugmentStage
    p.put(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG), true);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) config.topics().replicationFactor());
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 3_000);
    if (!config.instanceId().isEmpty()) {
      p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), config.instanceId());
    }
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), Topics.AUGMENTED_MAX_BYTES);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 100);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Topics.FEATURES_MAX_BYTES);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION),
        dev.streamfit.schemas.Transactions.MAX_IN_FLIGHT);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 256 * 1024);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 500);
    return p;
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (streams.close(Duration.ofSeconds(30))) {
      pool.close();
    } else { // a stream thread may still be in a forward pass: leave its weights to the process's end
      LOG.warn("features stream threads did not stop within 30 s; their extractors are left open");
    }
  }
}
