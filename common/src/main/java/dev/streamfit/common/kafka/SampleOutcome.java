package dev.streamfit.common.kafka;

import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Rejection;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * What a sample stage (augment, features) makes of one input record: a sample for the next stage, or a dead
 * letter. Immutable.
 */
public sealed interface SampleOutcome {
  /** A sample for the stage's output topic. */
  record Sample(AugmentedSample sample) implements SampleOutcome {}

  /** A dead letter for {@code images.rejected}. */
  record Reject(Rejection rejection) implements SampleOutcome {}

  /** How a sample stage turns one input record (its bytes, and where it was read) into outcomes. */
  @FunctionalInterface
  interface Maker {
    /**
     * The outcomes of the record with {@code key} and {@code value} at {@code topic}/{@code partition}/{@code offset}
     * (null, -1, -1 when unknown); never throws for bad input, which becomes a {@link Reject}.
     */
    List<SampleOutcome> make(String key, byte[] value, String topic, int partition, long offset);
  }

  /**
   * The topology of a sample stage: {@code inputTopic} (bytes) → {@code maker} (processor {@code processorName}) →
   * samples to {@code samplesTopic}, rejections to {@code rejectedTopic}. Values are decoded inside the maker, so
   * a malformed record becomes a dead letter, not a poison pill; keys are kept, so a sample stays on its partition.
   */
  static Topology topology(String inputTopic, String sourceName, String processorName, Maker maker,
      String samplesTopic, String sinkName, String rejectedTopic) {
    StreamsBuilder b = new StreamsBuilder();
    KStream<String, SampleOutcome> outcomes = b
        .stream(inputTopic, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName(sourceName))
        .processValues(() -> new Make(maker), Named.as(processorName));
    route(outcomes, samplesTopic, sinkName, rejectedTopic);
    return b.build();
  }

  /**
   * Sends {@code outcomes}' samples to {@code samplesTopic} (sink node {@code sinkName}) and their rejections to
   * {@code rejectedTopic} (sink node {@code rejected}), keys kept.
   */
  static void route(KStream<String, SampleOutcome> outcomes, String samplesTopic, String sinkName, String rejectedTopic) {
    outcomes.split(Named.as("route-"))
        .branch((k, v) -> v instanceof Sample, Branched.withConsumer(s -> s
            .mapValues(v -> ((Sample) v).sample(), Named.as("sample"))
            .to(samplesTopic, Produced.with(Serdes.String(), AvroSerde.of(AugmentedSample.class)).withName(sinkName)),
            "samples"))
        .defaultBranch(Branched.withConsumer(s -> s
            .mapValues(v -> ((Reject) v).rejection(), Named.as("rejection"))
            .to(rejectedTopic, Produced.with(Serdes.String(), AvroSerde.of(Rejection.class)).withName("rejected")),
            "rejections"));
  }

  /** The processor: each record's outcomes, forwarded with the record's key. */
  final class Make implements FixedKeyProcessor<String, byte[], SampleOutcome> {
    private final Maker maker;
    private FixedKeyProcessorContext<String, SampleOutcome> context;

    Make(Maker maker) {
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
      for (SampleOutcome o : maker.make(record.key(), record.value(), topic, partition, offset)) {
        context.forward(record.withValue(o));
      }
    }
  }
}
