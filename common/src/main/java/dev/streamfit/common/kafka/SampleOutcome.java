package dev.streamfit.common.kafka;

import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Rejection;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/**
 * What a sample stage (augment, features) makes of one input record: a sample for the next stage, or a dead
 * letter. Immutable.
 */
public sealed interface SampleOutcome {
  /** A sample for the stage's output topic. */
  record Sample(AugmentedSample sample) implements SampleOutcome {}

  /** A dead letter for {@code images.rejected}. */
  record Reject(Rejection rejection) implements SampleOutcome {}

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
}
