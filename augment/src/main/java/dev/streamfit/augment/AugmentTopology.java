package dev.streamfit.augment;

import dev.streamfit.common.kafka.SampleOutcome;
import dev.streamfit.augment.internal.AugmentMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.streamfit.augment.internal.SampleMaker;
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
    StreamsBuilder b = new StreamsBuilder();
    KStream<String, SampleOutcome> outcomes = b
        .stream(config.topics().raw(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("raw-images"))
        .processValues(() -> new MakeSamples(maker), Named.as("augment"));
    SampleOutcome.route(outcomes, config.topics().augmented(), "augmented", config.topics().rejected());
    return b.build();
  }

  private static final class MakeSamples implements FixedKeyProcessor<String, byte[], SampleOutcome> {
    private final SampleMaker maker;
    private FixedKeyProcessorContext<String, SampleOutcome> context;

    MakeSamples(SampleMaker maker) {
      this.maker = maker;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, SampleOutcome> context) {
      this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
      var md = context.recordMetadata();
      String topic = md.map(m -> m.topic()).orElse(null);
      int partition = md.map(m -> m.partition()).orElse(-1);
      long offset = md.map(m -> m.offset()).orElse(-1L);
      for (SampleOutcome o : maker.process(record.key(), record.value(), topic, partition, offset)) {
        context.forward(record.withValue(o));
      }
    }
  }
}
