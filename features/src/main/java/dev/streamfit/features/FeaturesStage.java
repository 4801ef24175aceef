package dev.streamfit.features;

import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.StreamsSettings;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.engine.Natives;
import dev.streamfit.features.internal.ExtractorPool;
import dev.streamfit.features.internal.FeatureMaker;
import dev.streamfit.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
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
    Natives.load(); // before any thread of this stage starts
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
    Topics t = config.topics();
    return StreamsSettings.exactlyOnce(config.streamsApplicationId(), config.bootstrapServers(), config.streamThreads(),
        t.replicationFactor(), config.stateDir(), config.instanceId(),
        List.of(ClientProfile.reading(t.spec(t.augmented())), ClientProfile.maxPollRecords(100)),
        List.of(ClientProfile.writing(t.spec(t.features()), t.spec(t.rejected())), ClientProfile.batching(5, 256 * 1024)));
  }

  /** State of the Kafka Streams application. */
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
