package dev.streamfit.serving;

import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.Classifier;
import dev.streamfit.engine.HeadSpec;
import dev.streamfit.engine.InputContract;
import dev.streamfit.engine.Models;
import dev.streamfit.engine.TrainingSpec;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.testkit.Glyphs;
import dev.streamfit.testkit.TestImages;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.opencv.opencv_core.Mat;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Real, small model versions for the rollout and feedback tests (a scratch CNN at 32 px: fast forward passes), a
 * pool of varied live images, and versions that pass verification yet misbehave on live traffic: one whose head is
 * permuted (every answer wrong, as if trained with shuffled labels) and one whose logits overflow float32 on part of
 * the live images (non-finite answers: errors) but not on the bundled reference images verification uses.
 */
final class LiveFixtures {
  static final List<String> LABELS = List.of("hat", "pants", "shoes");
  static final int SIDE = 32;
  private static final ImageDecoder DECODER = new ImageDecoder(DecodeLimits.defaults());
  private static ComputationGraph graph;

  private LiveFixtures() {}

  static synchronized ComputationGraph graph() {
    if (graph == null) {
      graph = Models.newClassifier(BaseModel.SCRATCH_CNN, TrainingSpec.adam(HeadSpec.SOFTMAX, 1e-3), LABELS, 7, SIDE);
    }
    return graph;
  }

  /** A good model whose head bias of label 0 is {@code bias0} (the others 0), so versions differ. */
  static synchronized byte[] good(double bias0) {
    ComputationGraph g = graph().clone();
    g.getLayer(Models.HEAD).getParam("b").assign(0).putScalar(0, bias0);
    return Models.toBytes(g, false);
  }

  /** {@code good(0)} with the head's columns shifted by one: its top-1 is never {@code good(0)}'s. */
  static synchronized byte[] permuted() {
    ComputationGraph g = graph().clone();
    INDArray w = g.getLayer(Models.HEAD).getParam("W");
    INDArray b = g.getLayer(Models.HEAD).getParam("b");
    INDArray w0 = w.dup();
    INDArray b0 = b.dup();
    int n = LABELS.size();
    for (int c = 0; c < n; c++) {
      w.getColumn(c).assign(w0.getColumn((c + 1) % n));
      b.putScalar(c, b0.getDouble((c + 1) % n));
    }
    return Models.toBytes(g, false);
  }

  /** The head with column 0 = {@code c} on every feature, the others 0: logit 0 = c · (sum of features). */
  static synchronized byte[] sumHead(double c) {
    ComputationGraph g = graph().clone();
    INDArray w = g.getLayer(Models.HEAD).getParam("W");
    w.assign(0);
    w.getColumn(0).assign(c);
    g.getLayer(Models.HEAD).getParam("b").assign(0);
    return Models.toBytes(g, false);
  }

  /** The sum of the features good(0)'s head sees, per image (read through a probe head: logit 0 = 0.01 · sum). */
  static double[] featureSums(List<byte[]> images) throws Exception {
    double[][] p = probabilities(sumHead(0.01), images);
    double[] s = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      s[i] = 100 * Math.log(p[i][0] / p[i][1]);
    }
    return s;
  }

  /**
   * A version whose logit 0 reaches 3.0e38 (float32 overflows at 3.4e38) on the reference image with the largest
   * feature sum: finite on every reference image, so it passes verification, and NaN on live images whose sum is
   * more than 13 % larger.
   */
  static byte[] overflowing() throws Exception {
    double max = java.util.Arrays.stream(featureSums(references())).max().orElseThrow();
    return sumHead(3.0e38 / max);
  }

  static ModelVersion version(long v, byte[] bytes) {
    return ModelVersion.newBuilder(Fixtures.version("clothing", v, bytes, Hashes.sha256Hex(bytes), LABELS))
        .setInput(InputContract.square(SIDE).toSpec()).build();
  }

  /** Probabilities of {@code model} on {@code images} (decoded as serving decodes them). */
  static double[][] probabilities(byte[] model, List<byte[]> images) throws Exception {
    try (Classifier c = Classifier.fromBytes(model, false, InputContract.square(SIDE))) {
      List<byte[]> px = new ArrayList<>();
      for (byte[] img : images) {
        try (Mat m = DECODER.decodeResized(img, SIDE, SIDE)) {
          px.add(Pixels.toHwc(m));
        }
      }
      return c.probabilities(px);
    }
  }

  static int top1(double[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The reference images serving verifies versions on. */
  static List<byte[]> references() throws Exception {
    List<byte[]> out = new ArrayList<>();
    String dir = "/dev/streamfit/serving/reference/";
    try (InputStream index = LiveFixtures.class.getResourceAsStream(dir + "index.txt")) {
      for (String name : new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
        if (!name.isBlank() && !name.startsWith("#")) {
          try (InputStream in = LiveFixtures.class.getResourceAsStream(dir + name.trim())) {
            out.add(in.readAllBytes());
          }
        }
      }
    }
    return out;
  }

  /** {@code n} distinct live images: glyphs, colour fields, noise (PNG, 48 px), from {@code seed}. */
  static List<byte[]> pool(int n, long seed) {
    Random r = new Random(seed);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      BufferedImage img;
      switch (i % 3) {
        case 0 -> img = Glyphs.image(Glyphs.CLASSES.get(r.nextInt(Glyphs.CLASSES.size())), 48, r);
        case 1 -> {
          img = new BufferedImage(48, 48, BufferedImage.TYPE_INT_RGB);
          Graphics2D g = img.createGraphics();
          g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
          g.fillRect(0, 0, 48, 48);
          g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
          g.fillOval(r.nextInt(24), r.nextInt(24), 8 + r.nextInt(24), 8 + r.nextInt(24));
          g.dispose();
        }
        default -> {
          img = new BufferedImage(48, 48, BufferedImage.TYPE_INT_RGB);
          for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 48; x++) {
              img.setRGB(x, y, r.nextInt(0x1000000));
            }
          }
        }
      }
      out.add(TestImages.encode(img, "png"));
    }
    return out;
  }
}
