package dev.streamfit.serving.internal;

import dev.streamfit.common.Buffers;
import dev.streamfit.common.Hashes;
import dev.streamfit.engine.Classifier;
import dev.streamfit.engine.InputContract;
import dev.streamfit.engine.Models;
import dev.streamfit.engine.Predictor;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.serving.ActiveModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Checks a published version before it may answer: SHA-256 of the bytes, format, input spec, that the
 * graph loads, finite weights, and a smoke prediction on the bundled reference images (output shape
 * {@code [n, labels]}, finite, rows summing to 1, identical on a second pass), which also warms the
 * graph up at batch sizes 1 and n. The forward passes run on the inference thread between batches.
 * Thread-safe.
 */
public final class ModelVerifier {
  /** Why verification refused a version; {@link #code()} is what metrics and the API show. */
  public enum Failure {
    SHA256_MISMATCH, UNSUPPORTED_FORMAT, BAD_INPUT_SPEC, BAD_LABELS, LOAD_FAILED, NON_FINITE_WEIGHTS, SMOKE_FAILED,
    SHAPE_MISMATCH;

    /** Lower-case name, e.g. {@code load_failed}. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
      return code();
    }
  }

  /** A version refused for {@link #reason()}. */
  public static final class VerificationException extends Exception {
    private final Failure reason;

    VerificationException(Failure reason, String message) {
      super(message);
      this.reason = reason;
    }

    public Failure reason() {
      return reason;
    }
  }

  private static final String REFERENCE_DIR = "/dev/streamfit/serving/reference/";
  private final List<byte[]> references;
  private final ImageDecoder decoder;
  private final InferenceQueue queue;

  public ModelVerifier(ImageDecoder decoder, InferenceQueue queue) {
    this.decoder = decoder;
    this.queue = queue;
    this.references = loadReferences();
  }

  private static List<byte[]> loadReferences() {
    List<byte[]> out = new ArrayList<>();
    try (InputStream index = ModelVerifier.class.getResourceAsStream(REFERENCE_DIR + "index.txt")) {
      if (index == null) {
        throw new IllegalStateException("bundled reference images missing: " + REFERENCE_DIR + "index.txt");
      }
      for (String name : new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
        if (name.isBlank() || name.startsWith("#")) {
          continue;
        }
        try (InputStream in = ModelVerifier.class.getResourceAsStream(REFERENCE_DIR + name.trim())) {
          if (in == null) {
            throw new IllegalStateException("bundled reference image missing: " + name);
          }
          out.add(in.readAllBytes());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.copyOf(out);
  }

  /** Verifies {@code mv} and returns it loaded and warmed up, or throws with the reason. */
  public ModelHandle verify(ModelVersion mv) throws VerificationException, InterruptedException {
    ByteBuffer buf = mv.getModelBytes();
    String sha = Hashes.sha256Hex(buf);
    if (!sha.equals(mv.getSha256())) {
      throw new VerificationException(Failure.SHA256_MISMATCH, "SHA-256 mismatch: record says " + mv.getSha256()
          + ", the " + buf.remaining() + " model bytes hash to " + sha);
    }
    if (!Models.FORMAT.equals(mv.getFormat())) {
      throw new VerificationException(Failure.UNSUPPORTED_FORMAT, "model format " + mv.getFormat() + " is not " + Models.FORMAT);
    }
    InputContract contract;
    try {
      contract = InputContract.fromSpec(mv.getInput());
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.BAD_INPUT_SPEC, "input spec " + mv.getInput() + ": " + e.getMessage());
    }
    List<String> labels = mv.getLabels().stream().map(String::valueOf).toList();
    if (labels.isEmpty() || new HashSet<>(labels).size() != labels.size()) {
      throw new VerificationException(Failure.BAD_LABELS, "labels must be non-empty and distinct, were " + labels);
    }
    Classifier model;
    try {
      byte[] bytes = Buffers.copyOf(buf);
      model = heavy(() -> Classifier.fromBytes(bytes, false, contract));
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new VerificationException(Failure.LOAD_FAILED, "graph does not load: " + e);
    }
    try {
      if (model.parameterCount() == 0) {
        throw new VerificationException(Failure.LOAD_FAILED, "graph has no parameters");
      }
      if (heavyUnchecked(model::hasNonFiniteWeights)) {
        throw new VerificationException(Failure.NON_FINITE_WEIGHTS, "weights contain NaN or infinite values");
      }
    } catch (VerificationException | InterruptedException | RuntimeException e) {
      model.close();
      throw e;
    }
    int threads = queue.threadsPerWorker();
    Predictor predictor = model.toPredictor(labels, threads);
    List<Predictor> copies = new ArrayList<>(List.of(predictor));
    boolean ok = false;
    try {
      double[] reference = smoke(predictor, labels.size());
      // One copy per further inference worker, each checked against the first on reference image 0.
      for (int w = 1; w < queue.workers(); w++) {
        Predictor copy = heavyUnchecked(() -> predictor.copy(threads));
        copies.add(copy);
        double[] p = forward(copy, referencePixels(copy).get(0), labels.size());
        for (int c = 0; c < p.length; c++) {
          if (Math.abs(p[c] - reference[c]) > 1e-4) {
            throw new VerificationException(Failure.SMOKE_FAILED, "copy " + w + " of the model answers differently");
          }
        }
      }
      ModelVersion meta = ModelVersion.newBuilder(mv).setModelBytes(ByteBuffer.allocate(0)).build();
      ok = true;
      return new ModelHandle(new ActiveModel(meta, predictor, Instant.now()), copies);
    } finally {
      if (!ok) {
        copies.forEach(Predictor::close);
      }
    }
  }

  /**
   * Runs CPU-heavy verification work (deserialising, scanning and copying weights) on an inference worker
   * when there are several: the others keep serving, and no extra thread competes for the cores they use.
   * With one worker it runs here, so serving does not stall for a whole load.
   */
  private <T> T heavy(Callable<T> work) throws Exception {
    return queue.workers() > 1 ? queue.runExclusive(work) : work.call();
  }

  private <T> T heavyUnchecked(Callable<T> work) throws InterruptedException {
    try {
      return heavy(work);
    } catch (InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private List<byte[]> referencePixels(Predictor predictor) {
    List<byte[]> pixels = new ArrayList<>();
    for (byte[] jpeg : references) {
      try (Mat m = decoder.decodeResized(jpeg, predictor.width(), predictor.height())) {
        pixels.add(Pixels.toHwc(m));
      } catch (ImageRejectedException e) {
        throw new IllegalStateException("bundled reference image refused: " + e.getMessage(), e);
      }
    }
    return pixels;
  }

  /** Checks the outputs on the reference images; returns those of image 0. */
  private double[] smoke(Predictor predictor, int classes) throws VerificationException, InterruptedException {
    List<byte[]> pixels = referencePixels(predictor);
    // One image per pass: each pass holds up serving requests queued behind it for one single-image
    // forward at most. The first image runs twice (the first pass on a fresh graph also warms it up).
    double[] again = forward(predictor, pixels.get(0), classes);
    for (int i = 0; i < pixels.size(); i++) {
      double[] p = forward(predictor, pixels.get(i), classes);
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        if (!Double.isFinite(p[c]) || p[c] < 0) {
          throw new VerificationException(Failure.SMOKE_FAILED, "reference image " + i + " gives probability " + p[c]);
        }
        if (i == 0 && Math.abs(p[c] - again[c]) > 1e-4) {
          throw new VerificationException(Failure.SMOKE_FAILED, "reference image 0 gives different outputs on two passes");
        }
        sum += p[c];
      }
      if (Math.abs(sum - 1) > 1e-3) {
        throw new VerificationException(Failure.SMOKE_FAILED, "reference image " + i + " probabilities sum to " + sum);
      }
    }
    return again;
  }

  private double[] forward(Predictor predictor, byte[] pixels, int classes) throws VerificationException,
      InterruptedException {
    double[][] out;
    try {
      out = queue.runExclusive(() -> predictor.probabilities(List.of(pixels)));
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new VerificationException(Failure.SMOKE_FAILED, "forward pass on a reference image fails: " + e);
    }
    if (out.length != 1 || out[0].length != classes) {
      throw new VerificationException(Failure.SHAPE_MISMATCH, "output is [" + out.length + ", " + (out.length == 0 ? 0 : out[0].length)
          + "] for 1 image and " + classes + " labels");
    }
    return out[0];
  }
}
