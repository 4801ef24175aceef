package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.Pixels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.opencv.opencv_core.Mat;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Acceptance (fast CPU path, 2): a head trained through the optimized graph reaches the same validation
 * accuracy (± 1 point) as one trained through the as-imported graph, same seed, same initial head,
 * same minibatches, on the bundled sample (200 train / 50 validation images).
 */
class TrainingEquivalenceTest {
  static final List<String> LABELS = List.of("dress", "hat", "longsleeve", "outwear", "pants", "shirt", "shoes",
      "shorts", "skirt", "t-shirt");
  static final List<byte[]> trainX = new ArrayList<>();
  static final List<Integer> trainY = new ArrayList<>();
  static final List<byte[]> valX = new ArrayList<>();
  static final List<Integer> valY = new ArrayList<>();

  @BeforeAll
  static void load() throws Exception {
    Path root = Path.of(System.getProperty("streamfit.root", "..")).resolve("data/clothing-sample");
    ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());
    for (String split : List.of("train", "validation")) {
      for (int c = 0; c < LABELS.size(); c++) {
        try (Stream<Path> files = Files.list(root.resolve(split).resolve(LABELS.get(c)))) {
          for (Path f : files.sorted().toList()) {
            try (Mat m = decoder.decodeResized(Files.readAllBytes(f), 224, 224)) {
              (split.equals("train") ? trainX : valX).add(Pixels.toHwc(m));
              (split.equals("train") ? trainY : valY).add(c);
            }
          }
        }
      }
    }
  }

  static double trainAndValidate(ComputationGraph g, String layout) {
    InputEncoder enc = new InputEncoder(224, 224, layout);
    java.util.Random order = new java.util.Random(11);
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < trainX.size(); i++) {
      idx.add(i);
    }
    for (int epoch = 0; epoch < 2; epoch++) {
      java.util.Collections.shuffle(idx, order);
      for (int from = 0; from < idx.size(); from += 16) {
        List<Integer> b = idx.subList(from, Math.min(idx.size(), from + 16));
        INDArray y = Nd4j.zeros(b.size(), LABELS.size());
        for (int i = 0; i < b.size(); i++) {
          y.putScalar(i, trainY.get(b.get(i)), 1);
        }
        try (INDArray x = enc.encode(b.stream().map(trainX::get).toList())) {
          g.fit(new DataSet(x, y));
        }
      }
    }
    int correct = 0;
    for (int from = 0; from < valX.size(); from += 25) {
      List<byte[]> chunk = valX.subList(from, Math.min(valX.size(), from + 25));
      try (INDArray x = enc.encode(chunk); INDArray out = g.outputSingle(false, x)) {
        int[] pred = out.argMax(1).toIntVector();
        for (int i = 0; i < chunk.size(); i++) {
          correct += pred[i] == valY.get(from + i) ? 1 : 0;
        }
      }
    }
    return correct / (double) valX.size();
  }

  @Test
  void optimizedAndImportedGraphsTrainToTheSameValidationAccuracy() {
    BaseModel base = BaseModel.MOBILENET_V2_035;
    ComputationGraph asImported = Models.classifierOn(Models.importBase(base), base, LABELS, 5e-3, 42);
    ComputationGraph optimized = Models.newClassifier(base, LABELS, 5e-3, 42, 224);
    optimized.getLayer(Models.HEAD).setParams(asImported.getLayer(Models.HEAD).params().dup());

    double accImported = trainAndValidate(asImported, InputEncoder.NHWC);
    double accOptimized = trainAndValidate(optimized, InputEncoder.NCHW);
    System.out.printf("validation accuracy: as-imported %.4f, optimized %.4f%n", accImported, accOptimized);
    assertThat(accOptimized).isCloseTo(accImported, org.assertj.core.data.Offset.offset(0.01));
    assertThat(accOptimized).as("the head learned something (chance is 0.10)").isGreaterThan(0.3);
  }
}
