package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Grad-CAM on a classifier trained (head only, a few steps) to tell a red disc from a blue square on grey: the map
 * has the last block's grid, is not constant, and its peak follows the object when the object moves.
 */
class GradCamTest {
  static final int SIZE = 224;
  static final List<String> LABELS = List.of("disc", "square");
  static Predictor predictor;

  /** A grey image with a red disc (class 0) or a blue square (class 1) of radius {@code r} centred at x, y. */
  static byte[] image(int cls, int cx, int cy, int r) {
    byte[] px = new byte[SIZE * SIZE * 3];
    for (int y = 0; y < SIZE; y++) {
      for (int x = 0; x < SIZE; x++) {
        boolean in = cls == 0 ? (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r
            : Math.abs(x - cx) <= r && Math.abs(y - cy) <= r;
        int o = (y * SIZE + x) * 3;
        px[o] = (byte) (in && cls == 0 ? 220 : in ? 30 : 128);
        px[o + 1] = (byte) (in ? 30 : 128);
        px[o + 2] = (byte) (in && cls == 1 ? 220 : in ? 30 : 128);
      }
    }
    return px;
  }

  @BeforeAll
  static void train() {
    TrainingSpec spec = new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.ADAM, 1e-2, 0.9, 0, 1e-3, List.of());
    try (Classifier c = Classifier.create(BaseModel.MOBILENET_V2_035, spec, LABELS, 3, SIZE)) {
      Random r = new Random(5);
      for (int step = 0; step < 12; step++) {
        List<byte[]> batch = new ArrayList<>();
        int[] y = new int[8];
        for (int i = 0; i < 8; i++) {
          y[i] = i % 2;
          batch.add(image(y[i], 40 + r.nextInt(SIZE - 80), 40 + r.nextInt(SIZE - 80), 24 + r.nextInt(12)));
        }
        c.fit(batch, y);
      }
      predictor = c.toPredictor(LABELS, 1);
    }
  }

  @AfterAll
  static void close() {
    if (predictor != null) {
      predictor.close();
    }
  }

  static HeatMap discMap(int cx, int cy) {
    return predictor.explain(image(0, cx, cy, 30), 2).stream().filter(m -> m.label().equals("disc")).findFirst()
        .orElseThrow();
  }

  @Test
  void theMapHasTheLastBlocksGridAndIsNotConstant() {
    List<HeatMap> maps = predictor.explain(image(0, 112, 112, 30), 2);
    assertThat(maps).hasSize(2);
    assertThat(maps.get(0).label()).isEqualTo("disc"); // the classifier learned the task
    assertThat(maps.get(0).probability()).isGreaterThan(0.5);
    HeatMap m = maps.get(0);
    assertThat(m.rows()).isEqualTo(SIZE / 32);
    assertThat(m.cols()).isEqualTo(SIZE / 32);
    double[] v = m.values();
    assertThat(Arrays.stream(v).allMatch(x -> x >= 0 && x <= 1)).isTrue();
    assertThat(Arrays.stream(v).max().orElseThrow()).isEqualTo(1.0);
    assertThat(Arrays.stream(v).min().orElseThrow()).isLessThan(0.5);
  }

  @Test
  void thePeakFollowsTheObject() {
    int cell = SIZE / 7;
    HeatMap left = discMap(56, 112);
    HeatMap right = discMap(168, 112);
    HeatMap top = discMap(112, 56);
    HeatMap bottom = discMap(112, 168);
    System.out.printf("grad-cam peaks (row, col): left %s right %s top %s bottom %s%n", left.peak(), right.peak(),
        top.peak(), bottom.peak());
    assertThat(left.peak().get(1)).as("left %s, right %s", left.peak(), right.peak()).isLessThan(right.peak().get(1));
    assertThat(top.peak().get(0)).as("top %s, bottom %s", top.peak(), bottom.peak()).isLessThan(bottom.peak().get(0));
    // and it lies on the object, within a cell
    assertThat(Math.abs(left.peak().get(1) - 56 / cell)).isLessThanOrEqualTo(1);
    assertThat(Math.abs(right.peak().get(1) - 168 / cell)).isLessThanOrEqualTo(1);
    assertThat(Math.abs(top.peak().get(0) - 56 / cell)).isLessThanOrEqualTo(1);
    assertThat(Math.abs(bottom.peak().get(0) - 168 / cell)).isLessThanOrEqualTo(1);
  }
}
