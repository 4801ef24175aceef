package dev.streamfit.augment;

import dev.streamfit.common.kafka.SampleOutcome;
import dev.streamfit.schemas.Topics;
import dev.streamfit.augment.internal.AugmentMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.streamfit.augment.internal.SampleMaker;
import org.apache.kafka.streams.Topology;

/**
 * The one factory of the augment topology: {@code images.raw} (bytes) → decode/augment →
 * {@code images.augmented} or {@code images.rejected}. Values are read as raw bytes and decoded inside
 * the processor, so a malformed record becomes a rejection instead of a poison pill.
 */
public final class AugmentTopology {
  private AugmentTopology() {}

  /** Builds the topology of pass 0 (the only one in {@code INTERLEAVED} mode), meters in a private registry. */
  public static Topology build(AugmentConfig config) {
    return build(config, 0, new SimpleMeterRegistry());
  }

  /**
   * Builds the topology of pass {@code pass} over {@code images.raw} (see {@link AugmentConfig.EpochMode}):
   * pass 0 routes to {@code images.augmented} and {@code images.rejected}, later passes emit only the
   * train images' variants of epoch {@code pass}. Records in/out, rejections by reason and per-op times go
   * to {@code registry}.
   */
  public static Topology build(AugmentConfig config, int pass, MeterRegistry registry) {
    SampleMaker maker = new SampleMaker(config, pass, new AugmentMetrics(registry, pass));
    Topics t = config.topics();
    return SampleOutcome.topology(t.raw(), "raw-images", "augment", maker::process, t.augmented(), "augmented",
        t.rejected());
  }
}
