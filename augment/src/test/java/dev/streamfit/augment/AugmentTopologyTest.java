package dev.streamfit.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The augment topology, built by the same factory as production, driven without a broker. */
class AugmentTopologyTest {
  @TempDir
  Path tmp;

  static byte[] jpeg() throws IOException {
    Path dir = Path.of(System.getProperty("streamfit.root", "..")).resolve("data/clothing-sample/train/shoes");
    try (Stream<Path> s = Files.list(dir)) {
      return Files.readAllBytes(s.sorted().findFirst().orElseThrow());
    }
  }

  static RawImage raw(byte[] content, Split split) {
    return RawImage.newBuilder().setId(Hashes.sha256Hex(content)).setContent(ByteBuffer.wrap(content))
        .setMediaType("image/jpeg").setLabel("shoes").setSplit(split).setSource("test").setIngestedAt(Instant.now()).build();
  }

  private final class Driver implements AutoCloseable {
    final TopologyTestDriver driver;
    final TestInputTopic<String, byte[]> in;
    final TestOutputTopic<String, AugmentedSample> out;
    final TestOutputTopic<String, Rejection> rejected;
    final io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

    Driver(AugmentConfig config) {
      this(config, 0);
    }

    Driver(AugmentConfig config, int pass) {
      Properties props = AugmentStage.streamsProperties(config, pass);
      driver = new TopologyTestDriver(AugmentTopology.build(config, pass, registry), props);
      in = driver.createInputTopic(config.topics().raw(), new StringSerializer(), new ByteArraySerializer());
      out = driver.createOutputTopic(config.topics().augmented(), new StringDeserializer(),
          AvroSerde.of(AugmentedSample.class));
      rejected = driver.createOutputTopic(config.topics().rejected(), new StringDeserializer(), AvroSerde.of(Rejection.class));
    }

    void send(RawImage r) {
      in.pipeInput(r.getId(), AvroSerde.of(RawImage.class).encode(r));
    }

    @Override
    public void close() {
      driver.close();
    }
  }

  private AugmentConfig config(int epochs) {
    return AugmentConfig.defaults("unused:9092", Topics.defaults(), tmp).withEpochs(epochs);
  }

  @Test
  void passesGiveOneEpochEachIdenticalToTheInterleavedVariants() throws Exception {
    RawImage r = raw(jpeg(), Split.TRAIN);
    List<AugmentedSample> interleaved;
    try (Driver d = new Driver(config(3).withEpochMode(AugmentConfig.EpochMode.INTERLEAVED))) {
      d.send(r);
      interleaved = d.out.readValuesToList();
    }
    for (int pass = 0; pass < 3; pass++) {
      try (Driver d = new Driver(config(3), pass)) {
        d.send(r);
        d.send(raw(Arrays.copyOf(jpeg(), jpeg().length / 2), Split.TRAIN)); // corrupt: rejected by pass 0 only
        d.send(raw(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3}, Split.VALIDATION));
        List<AugmentedSample> out = d.out.readValuesToList();
        List<AugmentedSample> train = out.stream().filter(s -> s.getSplit() == Split.TRAIN).toList();
        assertThat(train).hasSize(1);
        assertThat(train.get(0).getEpoch()).isEqualTo(pass);
        assertThat(train.get(0).getPixels()).isEqualTo(interleaved.get(pass).getPixels());
        assertThat(d.rejected.readValuesToList()).hasSize(pass == 0 ? 2 : 0);
      }
    }
    assertThatThrownBy(() -> AugmentTopology.build(config(3), 3, new io.micrometer.core.instrument.simple.SimpleMeterRegistry())).hasMessage("pass 3 outside [0, 3)");
  }

  @Test
  void trainImageYieldsOneDistinctAugmentedVariantPerEpoch() throws Exception {
    try (Driver d = new Driver(config(3).withEpochMode(AugmentConfig.EpochMode.INTERLEAVED))) {
      RawImage r = raw(jpeg(), Split.TRAIN);
      d.send(r);
      List<AugmentedSample> out = d.out.readValuesToList();
      assertThat(out).hasSize(3);
      assertThat(out).extracting(AugmentedSample::getEpoch).containsExactly(0, 1, 2);
      for (AugmentedSample s : out) {
        assertThat(s.getSourceId()).isEqualTo(r.getId());
        assertThat(s.getLabel()).isEqualTo("shoes");
        assertThat(s.getHeight()).isEqualTo(224);
        assertThat(s.getWidth()).isEqualTo(224);
        assertThat(s.getPixels().remaining()).isEqualTo(224 * 224 * 3);
        assertThat(s.getAugmentation().getApplied()).isTrue();
      }
      assertThat(out.get(0).getAugmentation().getSeed()).isNotEqualTo(out.get(1).getAugmentation().getSeed());
      assertThat(out.get(0).getPixels()).isNotEqualTo(out.get(1).getPixels());
      assertThat(d.rejected.isEmpty()).isTrue();
    }
  }

  @Test
  void replayIsByteIdentical() throws Exception {
    RawImage r = raw(jpeg(), Split.TRAIN);
    AugmentedSample first;
    try (Driver d = new Driver(config(1))) {
      d.send(r);
      first = d.out.readValue();
    }
    try (Driver d = new Driver(config(1))) {
      d.send(r);
      AugmentedSample again = d.out.readValue();
      assertThat(again.getAugmentation()).isEqualTo(first.getAugmentation());
      assertThat(again.getPixels()).isEqualTo(first.getPixels());
    }
  }

  @Test
  void validationAndTestImagesAreOnlyResized() throws Exception {
    try (Driver d = new Driver(config(3))) {
      d.send(raw(jpeg(), Split.VALIDATION));
      d.send(raw(Arrays.copyOf(jpeg(), jpeg().length), Split.TEST));
      List<AugmentedSample> out = d.out.readValuesToList();
      assertThat(out).hasSize(2);
      assertThat(out).allSatisfy(s -> assertThat(s.getAugmentation().getApplied()).isFalse());
      assertThat(out.get(0).getPixels()).isEqualTo(out.get(1).getPixels());
    }
  }

  @Test
  void corruptImagesAndMalformedRecordsAreRejectedWithReasonsAndTheStreamContinues() throws Exception {
    try (Driver d = new Driver(config(1))) {
      byte[] jpeg = jpeg();
      RawImage truncated = raw(Arrays.copyOf(jpeg, jpeg.length / 2), Split.TRAIN);
      d.send(truncated);
      d.in.pipeInput("garbage", new byte[] {1, 2, 3});
      d.send(raw(new byte[] {'G', 'I', 'F', '8', '9', 'a', 0, 0}, Split.TRAIN));
      d.send(raw(jpeg, Split.TRAIN));
      List<Rejection> rej = d.rejected.readValuesToList();
      assertThat(rej).extracting(Rejection::getReason).containsExactly("corrupt_image", "malformed_record", "unsupported_format");
      assertThat(rej.get(0).getOriginalKey()).isEqualTo(truncated.getId());
      assertThat(rej.get(0).getStage()).isEqualTo("augment");
      assertThat(rej.get(0).getSourceTopic()).isEqualTo("images.raw");
      assertThat(rej.get(0).getMessage()).contains("truncated JPEG");
      assertThat(d.out.readValuesToList()).hasSize(1);
      var r = d.registry;
      assertThat(r.get("streamfit.augment.records.in").counter().count()).isEqualTo(4);
      assertThat(r.get("streamfit.augment.samples.out").tag("split", "train").counter().count()).isEqualTo(1);
      assertThat(r.get("streamfit.augment.rejections").tag("reason", "corrupt_image").counter().count()).isEqualTo(1);
      assertThat(r.get("streamfit.augment.rejections").tag("reason", "malformed_record").counter().count()).isEqualTo(1);
      assertThat(r.get("streamfit.augment.rejections").tag("reason", "unsupported_format").counter().count()).isEqualTo(1);
      assertThat(r.get("streamfit.augment.op").tag("op", "decode").timer().count()).isEqualTo(1);
      assertThat(r.get("streamfit.augment.op").tag("op", "geometry").timer().count()).isEqualTo(1);
    }
  }

  @Test
  void configValidationNamesKeyBoundValueAndFlag() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> config(0))
        .hasMessage("augment.epochs must be in [1, 1000], was 0 (set --epochs)");
  }
}
