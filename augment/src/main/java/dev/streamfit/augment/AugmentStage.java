package dev.streamfit.augment;

import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.StreamsSettings;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.imaging.ImagingNatives;
import dev.streamfit.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.bytedeco.opencv.global.opencv_core;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The augment stage: runs {@link AugmentTopology} as exactly-once ({@code exactly_once_v2}) Kafka Streams
 * applications, one per pass over {@code images.raw} (see {@link AugmentConfig.EpochMode}): pass 0 at
 * once, pass e when pass e-1 has caught up with the topic's end (checked from its committed offsets,
 * so a restarted stage resumes every pass that can run). Scale out by starting more instances with the
 * same application id (up to the partition count of {@code images.raw}). {@link #close()} is idempotent;
 * {@link #state()} is thread-safe.
 */
public final class AugmentStage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AugmentStage.class);
  private final AugmentConfig config;
  private final MeterRegistry registry;
  private final List<KafkaStreams> passes = new CopyOnWriteArrayList<>();
  private final Thread scheduler;
  private volatile boolean closed;

  private AugmentStage(AugmentConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
    this.scheduler = new Thread(this::schedulePasses, "streamfit-augment-passes");
    this.scheduler.setDaemon(true);
  }

  /**
   * Creates missing topics and starts the stage, meters in a private registry. Sets OpenCV's own thread
   * pool to one thread for this process: each stream thread is the unit of parallelism, and OpenCV's
   * parallel warps on top of it oversubscribe the cores.
   */
  public static AugmentStage start(AugmentConfig config) {
    return start(config, new SimpleMeterRegistry());
  }

  /**
   * Creates missing topics and starts the stage; its meters (records in/out, rejections by reason, per-op
   * time, and Kafka Streams' own client metrics) go to {@code registry}.
   */
  public static AugmentStage start(AugmentConfig config, MeterRegistry registry) {
    ImagingNatives.load(); // before any thread of this stage starts
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    opencv_core.setNumThreads(1);
    AugmentStage stage = new AugmentStage(config, registry);
    stage.startPass(0);
    if (config.passes() > 1) {
      stage.scheduler.start();
    }
    LOG.info("augment stage started: {} → {} ({} epochs, {} mode, {} px, {} threads per pass)", config.topics().raw(),
        config.topics().augmented(), config.epochs(), config.epochMode(), config.imageSize(), config.streamThreads());
    return stage;
  }

  private synchronized void startPass(int pass) {
    if (closed) {
      return;
    }
    KafkaStreams streams = new KafkaStreams(AugmentTopology.build(config, pass, registry), streamsProperties(config, pass));
    new KafkaStreamsMetrics(streams, List.of(Tag.of("pass", String.valueOf(pass)))).bindTo(registry);
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("augment stream thread (pass {}) failed; replacing it", pass, e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.start();
    passes.add(streams);
    if (pass > 0) {
      LOG.info("augment pass {} ({}) started: replaying {} for epoch {}", pass, config.applicationId(pass),
          config.topics().raw(), pass);
    }
  }

  /** Starts pass e once pass e-1 has committed offsets at the end of every partition of {@code images.raw}. */
  private void schedulePasses() {
    try (Admin admin = KafkaClients.admin(config.bootstrapServers(), Duration.ofSeconds(30))) {
      int next = 1;
      while (!closed && next < config.passes()) {
        try {
          if (caughtUp(admin, config.applicationId(next - 1))) {
            startPass(next++);
            continue;
          }
        } catch (ExecutionException | RuntimeException e) {
          LOG.debug("cannot check pass {} progress yet: {}", next - 1, e.toString());
        }
        Thread.sleep(500);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean caughtUp(Admin admin, String groupId) throws ExecutionException, InterruptedException {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    admin.describeTopics(List.of(config.topics().raw())).allTopicNames().get().get(config.topics().raw()).partitions()
        .forEach(p -> latest.put(new TopicPartition(config.topics().raw(), p.partition()), OffsetSpec.latest()));
    long total = 0;
    for (var e : admin.listOffsets(latest).all().get().entrySet()) {
      long end = e.getValue().offset();
      total += end;
      OffsetAndMetadata c = committed.get(e.getKey());
      if (end > 0 && (c == null || c.offset() < end)) {
        return false;
      }
    }
    return total > 0;
  }

  /** Kafka Streams properties of pass {@code pass} of {@code config}. */
  public static Properties streamsProperties(AugmentConfig config, int pass) {
    Topics t = config.topics();
    // Up to 50 raw images a poll; a sample is ~150 KB (224x224x3): batch several per request.
    return StreamsSettings.exactlyOnce(config.applicationId(pass), config.bootstrapServers(), config.streamThreads(),
        t.replicationFactor(), config.stateDir(), config.instanceId(),
        List.of(ClientProfile.reading(t.spec(t.raw())), ClientProfile.maxPollRecords(50)),
        List.of(ClientProfile.writing(t.spec(t.augmented()), t.spec(t.rejected())), ClientProfile.batching(5, 1024 * 1024)));
  }

  /** State of pass 0's Kafka Streams application. */
  public KafkaStreams.State state() {
    return passes.get(0).state();
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    scheduler.interrupt();
    for (KafkaStreams s : passes) {
      s.close(Duration.ofSeconds(30));
    }
  }
}
