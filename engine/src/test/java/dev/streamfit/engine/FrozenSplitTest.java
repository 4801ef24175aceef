package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Training the top on a frozen prefix's activations is training the whole classifier on pixels: same steps, same
 * optimizer state through a checkpoint, same probabilities; fp16 transport costs little.
 */
class FrozenSplitTest {
  static final int SIZE = 96;
  static final List<String> LABELS = List.of("a", "b", "c");
  static final TrainingSpec SPEC = new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.ADAM, 1e-2, 0.9, 2, 1e-3,
      List.of());
  static final FrozenPrefix PREFIX = FrozenPrefix.of(BaseModel.MOBILENET_V1_075, SIZE, SPEC);
  static FeatureExtractor extractor;

  @BeforeAll
  static void extractor() {
    extractor = FeatureExtractor.create(PREFIX);
  }

  @AfterAll
  static void close() {
    extractor.close();
  }

  static List<byte[]> images(long seed, int n) {
    Random r = new Random(seed);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] px = new byte[SIZE * SIZE * 3];
      r.nextBytes(px);
      out.add(px);
    }
    return out;
  }

  static final int[] Y = {0, 1, 2, 0, 1, 2, 0, 1};

  static Classifier fresh() {
    return Classifier.create(BaseModel.MOBILENET_V1_075, SPEC, LABELS, 7, SIZE);
  }

  static double maxDiff(double[][] a, double[][] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        d = Math.max(d, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return d;
  }

  @Test
  void fp16RoundTripsWithinHalfPrecision() {
    assertThat(Activations.toHalf(1f)).isEqualTo((short) 0x3C00);
    assertThat(Activations.toHalf(-2f)).isEqualTo((short) 0xC000);
    assertThat(Activations.toHalf(65504f)).isEqualTo((short) 0x7BFF);
    assertThat(Activations.toHalf(1e6f)).isEqualTo((short) 0x7C00);
    float tiny = (float) Math.pow(2, -24); // the smallest subnormal
    assertThat(Activations.toFloat(Activations.toHalf(tiny))).isEqualTo(tiny);
    assertThat(Float.isNaN(Activations.toFloat(Activations.toHalf(Float.NaN)))).isTrue();
    assertThat(Activations.toHalf(1f + 1f / 2048)).isEqualTo((short) 0x3C00); // tie to even
    assertThat(Activations.toHalf(1f + 3f / 2048)).isEqualTo((short) 0x3C02);
    Random r = new Random(1);
    float[] v = new float[1000];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(6) - 3));
    }
    Activations a = new Activations(List.of(10, 100), v);
    Activations back = Activations.fromFp16(List.of(10, 100), ByteBuffer.wrap(a.toFp16()));
    for (int i = 0; i < v.length; i++) {
      assertThat((double) back.values()[i]).isCloseTo(v[i], within(Math.abs(v[i]) / 2048 + 6e-8));
    }
    assertThatThrownBy(() -> Activations.fromFp16(List.of(10, 100), ByteBuffer.wrap(new byte[10])))
        .hasMessageContaining("expected 2000 bytes");
  }

  @Test
  void prefixHashNamesTheComputation() {
    assertThat(PREFIX.cut()).isEqualTo("conv_pw_11");
    assertThat(PREFIX.hash()).hasSize(64).isEqualTo(FrozenPrefix.of(BaseModel.MOBILENET_V1_075, SIZE, SPEC).hash());
    assertThat(new FrozenPrefix(BaseModel.MOBILENET_V1_075, SIZE, 1).hash()).isNotEqualTo(PREFIX.hash());
    assertThat(new FrozenPrefix(BaseModel.MOBILENET_V1_075, 128, 2).hash()).isNotEqualTo(PREFIX.hash());
    assertThat(new FrozenPrefix(BaseModel.MOBILENET_V2_035, SIZE, 2).hash()).isNotEqualTo(PREFIX.hash());
    assertThatThrownBy(() -> new FrozenPrefix(BaseModel.SCRATCH_CNN, SIZE, 0)).hasMessageContaining("--trainer-input");
    assertThatThrownBy(() -> new FrozenPrefix(BaseModel.MOBILENET_V1_075, SIZE, 99)).hasMessageContaining("--fine-tune-blocks");
    assertThat(extractor.shape()).containsExactly(384, 6, 6);
  }

  @Test
  void trainingTheTopOnActivationsIsTrainingTheWholeOnPixels() throws Exception {
    List<List<byte[]>> batches = List.of(images(1, 8), images(2, 8), images(3, 8));
    List<byte[]> probe = images(9, 4);
    try (Classifier whole = fresh(); Classifier split = fresh()) {
      assertThat(split.frozenCut()).isEqualTo(PREFIX.cut());
      for (List<byte[]> b : batches) {
        double l1 = whole.fit(b, Y);
        double l2 = split.fitActivations(extractor.extract(b), Y);
        assertThat(l2).isCloseTo(l1, within(1e-3));
      }
      double[][] p1 = whole.probabilities(probe);
      assertThat(maxDiff(split.probabilitiesOfActivations(extractor.extract(probe)), p1)).isLessThan(1e-4);
      assertThat(maxDiff(split.probabilities(probe), p1)).isLessThan(1e-4); // the whole graph got the top's weights
      // Through fp16, as the topic carries them.
      List<Activations> viaFp16 = extractor.extract(probe).stream()
          .map(a -> Activations.fromFp16(a.shape(), ByteBuffer.wrap(a.toFp16()))).toList();
      assertThat(maxDiff(split.probabilitiesOfActivations(viaFp16), p1)).isLessThan(1e-2);
    }
  }

  @Test
  void optimizerStateSurvivesACheckpointOfTheWholeGraph() throws Exception {
    List<Activations> a1 = extractor.extract(images(1, 8));
    List<Activations> a2 = extractor.extract(images(2, 8));
    List<Activations> a3 = extractor.extract(images(3, 8));
    List<Activations> probe = extractor.extract(images(9, 4));
    try (Classifier straight = fresh(); Classifier first = fresh()) {
      straight.fitActivations(a1, Y);
      straight.fitActivations(a2, Y);
      straight.fitActivations(a3, Y);
      first.fitActivations(a1, Y);
      first.fitActivations(a2, Y);
      byte[] checkpoint = first.toBytes(true);
      try (Classifier resumed = Classifier.fromBytes(checkpoint, true, InputContract.square(SIZE))) {
        resumed.fitActivations(a3, Y);
        assertThat(maxDiff(resumed.probabilitiesOfActivations(probe), straight.probabilitiesOfActivations(probe)))
            .isLessThan(1e-5);
      }
      // A checkpoint without optimizer state resumes differently (Adam's moments restart): the check above can fail.
      try (Classifier noState = Classifier.fromBytes(first.toBytes(false), true, InputContract.square(SIZE))) {
        noState.fitActivations(a3, Y);
        assertThat(maxDiff(noState.probabilitiesOfActivations(probe), straight.probabilitiesOfActivations(probe)))
            .isGreaterThan(1e-5);
      }
    }
  }

  @Test
  void pixelsAfterActivationsContinueFromTheTop() {
    List<byte[]> b = images(1, 8);
    List<byte[]> probe = images(9, 4);
    try (Classifier a = fresh(); Classifier c = fresh()) {
      a.fitActivations(extractor.extract(b), Y);
      a.fit(b, Y);
      c.fit(b, Y);
      c.fit(b, Y);
      assertThat(maxDiff(a.probabilities(probe), c.probabilities(probe))).isLessThan(1e-4);
      assertThatThrownBy(() -> a.fitActivations(List.of(new Activations(List.of(3), new float[3])), new int[] {0}))
          .isInstanceOf(RuntimeException.class);
    }
  }
}
