package dev.streamfit.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.engine.Activations;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.FeatureExtractor;
import dev.streamfit.engine.FrozenPrefix;
import dev.streamfit.features.internal.ExtractorPool;
import dev.streamfit.features.internal.FeatureMaker;
import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The features topology, built by the production factory, driven without a broker, on the real prefix. */
class FeaturesTopologyTest {
  static final int SIZE = 64;
  static final FrozenPrefix PREFIX = new FrozenPrefix(BaseModel.MOBILENET_V2_035, SIZE, 1);
  static ExtractorPool pool;
  static final AvroSerde<AugmentedSample> SAMPLES = AvroSerde.of(AugmentedSample.class);

  @TempDir
  Path tmp;

  @BeforeAll
  static void pool() {
    pool = new ExtractorPool(PREFIX, 1);
  }

  @AfterAll
  static void close() {
    pool.close();
  }

  static AugmentedSample sample(String id, int size, long seed) {
    byte[] px = new byte[size * size * 3];
    new Random(seed).nextBytes(px);
    return AugmentedSample.newBuilder().setSourceId(id).setEpoch(2).setVariant(0).setLabel("owl").setSplit(Split.TRAIN)
        .setHeight(size).setWidth(size).setChannels(3).setPixels(ByteBuffer.wrap(px))
        .setAugmentation(AugmentationParams.newBuilder().setSeed(seed).setApplied(true).setHorizontalFlip(true)
            .setSpecHash("spec-1").build()).build();
  }

  @Test
  void eachSampleBecomesItsActivationsWithItsLineage() throws Exception {
    FeaturesConfig config = FeaturesConfig.defaults("unused:9092", Topics.defaults(), PREFIX, tmp).withStreamThreads(1);
    try (TopologyTestDriver driver = new TopologyTestDriver(
        FeaturesTopology.build(config, new FeatureMaker(pool, new SimpleMeterRegistry())),
        FeaturesStage.streamsProperties(config))) {
      TestInputTopic<String, byte[]> in = driver.createInputTopic(config.topics().augmented(), new StringSerializer(),
          new ByteArraySerializer());
      TestOutputTopic<String, AugmentedSample> out = driver.createOutputTopic(config.topics().features(),
          new StringDeserializer(), SAMPLES);
      TestOutputTopic<String, Rejection> rejected = driver.createOutputTopic(config.topics().rejected(),
          new StringDeserializer(), AvroSerde.of(Rejection.class));
      AugmentedSample s = sample("img-1", SIZE, 1);
      byte[] px = new byte[SIZE * SIZE * 3];
      s.getPixels().duplicate().get(px);
      in.pipeInput("img-1", SAMPLES.serialize(null, s));
      in.pipeInput("img-2", new byte[] {1, 2, 3});
      in.pipeInput("img-3", SAMPLES.serialize(null, sample("img-3", 32, 3)));

      var got = out.readKeyValuesToList();
      assertThat(got).hasSize(1);
      assertThat(got.get(0).key).isEqualTo("img-1");
      AugmentedSample f = got.get(0).value;
      assertThat(f.getPixels().remaining()).isZero();
      assertThat(f.getSourceId()).isEqualTo("img-1");
      assertThat(f.getEpoch()).isEqualTo(2);
      assertThat(f.getLabel()).isEqualTo("owl");
      assertThat(f.getAugmentation()).isEqualTo(s.getAugmentation());
      assertThat(f.getHeight()).isEqualTo(SIZE);
      assertThat(f.getActivations().getPrefix()).isEqualTo(PREFIX.hash());
      assertThat(f.getActivations().getCut()).isEqualTo("block_16_project");
      assertThat(f.getActivations().getShape()).containsExactly(112, 2, 2);
      Activations a = Activations.fromFp16(f.getActivations().getShape(), f.getActivations().getFp16());
      try (FeatureExtractor direct = FeatureExtractor.create(PREFIX)) {
        float[] want = direct.extract(List.of(px)).get(0).values();
        for (int i = 0; i < want.length; i++) {
          assertThat((double) a.values()[i]).isCloseTo(want[i], org.assertj.core.api.Assertions.within(
              Math.abs(want[i]) / 1024 + 1e-6));
        }
      }

      var dead = rejected.readKeyValuesToList();
      assertThat(dead).extracting(kv -> kv.key).containsExactly("img-2", "img-3");
      assertThat(dead.get(0).value.getReason()).isEqualTo("malformed_record");
      assertThat(dead.get(1).value.getReason()).isEqualTo("bad_shape");
      assertThat(dead.get(1).value.getMessage()).contains("32x32x3").contains("takes 64x64x3");
      assertThat(dead.get(1).value.getStage()).isEqualTo("features");
      assertThat(dead.get(1).value.getSourceOffset()).isEqualTo(2L);
    }
  }

  @Test
  void anotherPrefixIsAnotherApplicationSoItsActivationsAreRecomputed() {
    FeaturesConfig a = FeaturesConfig.defaults("x:1", Topics.defaults(), PREFIX, tmp);
    FeaturesConfig b = FeaturesConfig.defaults("x:1", Topics.defaults(), new FrozenPrefix(BaseModel.MOBILENET_V2_035, SIZE, 2), tmp);
    assertThat(a.streamsApplicationId()).startsWith("streamfit-features-").isNotEqualTo(b.streamsApplicationId());
    assertThat(a.streamsApplicationId()).isEqualTo(
        FeaturesConfig.defaults("y:2", Topics.defaults(), new FrozenPrefix(BaseModel.MOBILENET_V2_035, SIZE, 1), tmp)
            .streamsApplicationId());
    assertThatThrownBy(() -> a.withStreamThreads(0)).hasMessageContaining("features.stream-threads")
        .hasMessageContaining("--stream-threads");
  }
}
