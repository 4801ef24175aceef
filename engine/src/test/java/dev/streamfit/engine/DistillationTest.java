package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.streamfit.engine.internal.DistillationLoss;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The distillation loss's gradient is the derivative of its score, reduces to cross-entropy without a teacher, and a
 * classifier that distils learns the teacher's soft targets (not just its top class), keeps its loss through bytes, and
 * refuses a step without them.
 */
class DistillationTest {
  @Test
  void gradientIsTheDerivativeOfTheScore() {
    Random r = new Random(3);
    int n = 4;
    int c = 5;
    DistillationLoss loss = new DistillationLoss(3, 0.6);
    INDArray z = Nd4j.create(DataType.DOUBLE, n, c);
    INDArray labels = Nd4j.create(DataType.DOUBLE, n, 2 * c);
    double[][] teacher = new double[n][c];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int k = 0; k < c; k++) {
        z.putScalar(i, k, r.nextGaussian() * 2);
        teacher[i][k] = r.nextDouble() + 0.01;
        sum += teacher[i][k];
      }
      for (int k = 0; k < c; k++) {
        teacher[i][k] /= sum;
      }
      labels.putScalar(i, r.nextInt(c), 1.0);
    }
    double[][] q = new Distillation(3, 0.6).soften(teacher);
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < c; k++) {
        labels.putScalar(i, c + k, q[i][k]);
      }
    }
    INDArray g = loss.computeGradient(labels, z, new ActivationSoftmax(), null);
    double h = 1e-6;
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < c; k++) {
        INDArray up = z.dup();
        up.putScalar(i, k, z.getDouble(i, k) + h);
        INDArray down = z.dup();
        down.putScalar(i, k, z.getDouble(i, k) - h);
        double numeric = (loss.computeScore(labels, up, new ActivationSoftmax(), null, false)
            - loss.computeScore(labels, down, new ActivationSoftmax(), null, false)) / (2 * h);
        assertThat(g.getDouble(i, k)).as("d/dz[%d,%d]", i, k).isCloseTo(numeric, within(1e-6));
      }
    }
    // Weight 0: plain cross-entropy on the labels, as DL4J's own loss computes it.
    INDArray hard = labels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c)).dup();
    INDArray mcxent = new LossMCXENT().computeGradient(hard, z.dup(), new ActivationSoftmax(), null);
    INDArray plain = new DistillationLoss(3, 0).computeGradient(labels, z, new ActivationSoftmax(), null);
    assertThat(plain.sub(mcxent).norm1Number().doubleValue()).isLessThan(1e-9);
    assertThat(new DistillationLoss(3, 0).computeScore(labels, z, new ActivationSoftmax(), null, true))
        .isCloseTo(new LossMCXENT().computeScore(hard, z, new ActivationSoftmax(), null, true), within(1e-9));
  }

  @Test
  void softeningFlattensTheTeacherAndValidatesItsOptions() {
    double[][] q = new Distillation(4, 0.5).soften(new double[][] {{0.9, 0.09, 0.01}});
    assertThat(q[0][0]).isLessThan(0.9).isGreaterThan(q[0][1]);
    assertThat(q[0][1]).isGreaterThan(q[0][2]).isGreaterThan(0.01);
    assertThat(q[0][0] + q[0][1] + q[0][2]).isCloseTo(1, within(1e-12));
    assertThat(new Distillation(1, 0.5).soften(new double[][] {{0.7, 0.3}})[0][0]).isCloseTo(0.7, within(1e-12));
    assertThatThrownBy(() -> new Distillation(0.5, 0.5)).hasMessageContaining("trainer.distill-temperature")
        .hasMessageContaining("0.5").hasMessageContaining("--distill-temperature");
    assertThatThrownBy(() -> new Distillation(2, 1.5)).hasMessageContaining("--distill-weight");
    assertThatThrownBy(() -> new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.ADAM, 1e-3, 0.9, 0, 1e-3,
        List.of(1.0, 2.0, 1.0), new Distillation(2, 0.5))).hasMessageContaining("exclude each other");
  }

  @Test
  void aStudentLearnsTheTeachersSoftTargetsAndKeepsItsLossThroughBytes() throws Exception {
    int size = ScratchCnnTest.SIZE;
    // The "teacher" is unsure between the first two classes in a fixed way; the labels alone would push to one-hot.
    double[][] soft = {{0.6, 0.3, 0.1}, {0.3, 0.6, 0.1}, {0.1, 0.1, 0.8}};
    TrainingSpec spec = TrainingSpec.adam(HeadSpec.SOFTMAX, 3e-3).withDistillation(new Distillation(1, 1.0));
    Random r = new Random(11);
    try (Classifier student = Classifier.create(BaseModel.SCRATCH_CNN, spec, ScratchCnnTest.LABELS, 5, size)) {
      assertThat(student.distillation()).isEqualTo(new Distillation(1, 1.0));
      for (int step = 0; step < 60; step++) {
        List<byte[]> x = new ArrayList<>();
        int[] y = new int[12];
        double[][] t = new double[12][];
        for (int i = 0; i < y.length; i++) {
          y[i] = i % 3;
          x.add(ScratchCnnTest.image(y[i], r));
          t[i] = soft[y[i]];
        }
        assertThat(student.fit(x, y, t)).isFinite();
      }
      List<byte[]> test = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        test.add(ScratchCnnTest.image(i % 3, r));
      }
      double[][] p = student.probabilities(test);
      for (int i = 0; i < p.length; i++) {
        for (int k = 0; k < 3; k++) {
          assertThat(p[i][k]).as("image %d (class %d), output %d", i, i % 3, k).isCloseTo(soft[i % 3][k], within(0.12));
        }
      }
      assertThatThrownBy(() -> student.fit(test.subList(0, 3), new int[] {0, 1, 2}))
          .hasMessageContaining("needs the teacher's probabilities");
      byte[] bytes = student.toBytes(true);
      try (Classifier back = Classifier.fromBytes(bytes, true, InputContract.square(size))) {
        assertThat(back.distillation()).isEqualTo(new Distillation(1, 1.0));
        assertThat(back.probabilities(test)[0][0]).isCloseTo(p[0][0], within(1e-5));
      }
    }
    try (Classifier plain = Classifier.create(BaseModel.SCRATCH_CNN, TrainingSpec.adam(HeadSpec.SOFTMAX, 3e-3),
        ScratchCnnTest.LABELS, 5, size)) {
      assertThat(plain.distillation()).isNull();
      assertThatThrownBy(() -> plain.fit(List.of(ScratchCnnTest.image(0, r)), new int[] {0}, new double[][] {{1, 0, 0}}))
          .hasMessageContaining("does not distil");
    }
  }

  @Test
  void samplesOfAnotherSizeAreResizedByTheContractsRule() {
    byte[] big = new byte[64 * 48 * 3];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) 200;
    }
    InputContract c = InputContract.square(32);
    byte[] small = c.fit(big, 48, 64);
    assertThat(small).hasSize(32 * 32 * 3);
    assertThat(small[0] & 0xFF).isEqualTo(200);
    byte[] same = new byte[32 * 32 * 3];
    assertThat(c.fit(same, 32, 32)).isSameAs(same);
    assertThatThrownBy(() -> c.fit(new byte[10], 48, 64)).isInstanceOf(IllegalArgumentException.class);
  }
}
