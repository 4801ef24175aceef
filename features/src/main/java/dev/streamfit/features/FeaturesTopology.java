package dev.streamfit.features;

import dev.streamfit.common.kafka.SampleOutcome;
import dev.streamfit.schemas.Topics;
import java.util.List;
import dev.streamfit.features.internal.FeatureMaker;
import org.apache.kafka.streams.Topology;

/**
 * The one factory of the features topology: {@code images.augmented} (bytes) → frozen prefix →
 * {@code images.features} or {@code images.rejected}. Values are decoded inside the processor, so a malformed record
 * becomes a dead letter, not a poison pill. Keys (the source image id) are kept: a sample stays on its partition.
 */
public final class FeaturesTopology {
  private FeaturesTopology() {}

  /** The topology of {@code config}, computing with {@code maker}. */
  public static Topology build(FeaturesConfig config, FeatureMaker maker) {
    Topics t = config.topics();
    return SampleOutcome.topology(t.augmented(), "augmented", "frozen-prefix",
        (key, value, topic, partition, offset) -> List.of(maker.process(key, value, topic, partition, offset)),
        t.features(), "features", t.rejected());
  }
}
