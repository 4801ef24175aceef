package dev.streamfit.features;

import dev.streamfit.common.kafka.SampleOutcome;
import dev.streamfit.features.internal.FeatureMaker;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The one factory of the features topology: {@code images.augmented} (bytes) → frozen prefix →
 * {@code images.features} or {@code images.rejected}. Values are decoded inside the processor, so a malformed record
 * becomes a dead letter, not a poison pill. Keys (the source image id) are kept: a sample stays on its partition.
 */
public final class FeaturesTopology {
  private FeaturesTopology() {}

  /** The topology of {@code config}, computing with {@code maker}. */
  public static Topology build(FeaturesConfig config, FeatureMaker maker) {
    StreamsBuilder b = new StreamsBuilder();
    KStream<String, SampleOutcome> outcomes = b
        .stream(config.topics().augmented(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("augmented"))
        .processValues(() -> new Extract(maker), Named.as("frozen-prefix"));
    SampleOutcome.route(outcomes, config.topics().features(), "features", config.topics().rejected());
    return b.build();
  }

  private static final class Extract implements FixedKeyProcessor<String, byte[], SampleOutcome> {
    private final FeatureMaker maker;
    private FixedKeyProcessorContext<String, SampleOutcome> context;

    Extract(FeatureMaker maker) {
      this.maker = maker;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, SampleOutcome> context) {
      this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
      var md = context.recordMetadata();
      context.forward(record.withValue(maker.process(record.key(), record.value(), md.map(m -> m.topic()).orElse(null),
          md.map(m -> m.partition()).orElse(-1), md.map(m -> m.offset()).orElse(-1L))));
    }
  }
}
