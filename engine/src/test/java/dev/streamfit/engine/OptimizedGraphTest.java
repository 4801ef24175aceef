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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Acceptance (fast CPU path, 1): the optimized graph (NCHW, BatchNorm folded, fused activations,
 * ReLU6, SAME padding) computes the same features as the as-imported Keras graph on real images.
 */
class OptimizedGraphTest {
  /** The first image of {@code n} classes of the bundled sample's validation split, decoded at {@code size}. */
  static List<byte[]> sampleImages(int n, int size) throws Exception {
    Path root = Path.of(System.getProperty("streamfit.root", "..")).resolve("data/clothing-sample/validation");
    ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());
    List<byte[]> out = new ArrayList<>();
    try (Stream<Path> classes = Files.list(root)) {
      for (Path cls : classes.sorted().limit(n).toList()) {
        try (Stream<Path> files = Files.list(cls)) {
          byte[] jpeg = Files.readAllBytes(files.sorted().findFirst().orElseThrow());
          try (Mat m = decoder.decodeResized(jpeg, size, size)) {
            out.add(Pixels.toHwc(m));
          }
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0} at {1}")
  @CsvSource({"MOBILENET_V2_035, 224", "MOBILENET_V2_035, 160", "MOBILENET_V2_035, 299", "MOBILENET_V1_075, 224"})
  void optimizedFeaturesEqualImportedFeatures(BaseModel base, int size) throws Exception {
    List<byte[]> images = sampleImages(size == 224 ? 6 : 3, size);
    ComputationGraph imported = Models.importBase(base);
    ComputationGraph optimized = Models.optimizedBase(base, size);
    assertThat(optimized.getLayers().length).isLessThan(imported.getLayers().length / 2);
    assertThat(CpuTuning.oneDnnHelpersActive(optimized)).as("oneDNN conv helper in use").isTrue();
    try (INDArray nhwc = new InputEncoder(size, size, InputEncoder.NHWC).encode(images);
        INDArray nchw = new InputEncoder(size, size, InputEncoder.NCHW).encode(images)) {
      INDArray expected = imported.feedForward(nhwc, false).get(base.featureVertex());
      INDArray actual = optimized.outputSingle(false, nchw);
      assertThat(actual.shape()).containsExactly(images.size(), base.featureSize());
      double maxDiff = expected.sub(actual).amaxNumber().doubleValue();
      System.out.printf("%s @%d: max abs diff %.3g (features up to %.3f)%n", base.id(), size, maxDiff, expected.amaxNumber().doubleValue());
      assertThat(maxDiff).as("max |imported − optimized| (features up to %s)", expected.amaxNumber())
          .isLessThanOrEqualTo(1e-4);
      assertThat(expected.amaxNumber().doubleValue()).isGreaterThan(0.5); // not trivially zero
    }
  }
}
