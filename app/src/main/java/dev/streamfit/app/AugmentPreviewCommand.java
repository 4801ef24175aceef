package dev.streamfit.app;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imwrite;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_RGB2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import dev.streamfit.augment.ops.AugmentSpec;
import dev.streamfit.augment.ops.Augmenter;
import dev.streamfit.augment.ops.Seeds;
import dev.streamfit.common.Hashes;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.pipeline.AugmentOptions;
import dev.streamfit.pipeline.CommonOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfit augment preview}: a PNG grid, one row per image: the resized original, then its
 * variants for epochs 0, 1, … exactly as the augment stage would produce them (same spec, same seeds).
 */
@Command(name = "preview", mixinStandardHelpOptions = true,
    description = "Write a PNG grid of originals and their augmented variants (same spec and seeds as the stage).")
public final class AugmentPreviewCommand implements Callable<Integer> {
  @Mixin
  CommonOptions common;

  @Mixin
  AugmentOptions augment;

  @Option(names = "--data", required = true, description = "Folder with <split>/<class>/* or any images below it.")
  Path data;

  @Option(names = "--out", defaultValue = "augment-preview.png", description = "Output PNG (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--images", defaultValue = "6", description = "Rows: the first N images in path order (default ${DEFAULT-VALUE}).")
  int images;

  @Option(names = "--variants", defaultValue = "5", description = "Variants per image, epochs 0..N-1 (default ${DEFAULT-VALUE}).")
  int variants;

  @Override
  public Integer call() throws Exception {
    Path root = Files.isDirectory(data.resolve("train")) ? data.resolve("train") : data;
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(Files::isRegularFile).filter(f -> f.toString().matches("(?i).*\\.(jpe?g|png)$")).sorted()
          .limit(images).toList();
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no JPEG/PNG images under " + root + " (set --data)");
    }
    AugmentSpec spec = augment.spec();
    int size = common.imageSize;
    int gap = 4;
    ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());
    try (Mat grid = new Mat(files.size() * (size + gap) - gap, (variants + 1) * (size + gap) - gap, CV_8UC3,
        new Scalar(255, 255, 255, 0))) {
      for (int r = 0; r < files.size(); r++) {
        byte[] bytes = Files.readAllBytes(files.get(r));
        String id = Hashes.sha256Hex(bytes); // the id ingest gives it, so the seeds match the pipeline's
        try (Mat src = decoder.decodeRgb(bytes, size)) {
          for (int c = 0; c <= variants; c++) {
            Mat cell;
            if (c == 0) {
              cell = Pixels.resize(src, size, size);
            } else {
              long seed = Seeds.derive(common.seed, id, c - 1, 0);
              cell = Augmenter.apply(src, Augmenter.sample(spec, new SplittableRandom(seed), seed, size, size), size, size);
            }
            try (cell; Rect at = new Rect(c * (size + gap), r * (size + gap), size, size); Mat dst = grid.apply(at)) {
              cell.copyTo(dst);
            }
          }
        } catch (ImageRejectedException e) {
          System.err.println("skipped " + files.get(r) + ": " + e.reason().code() + " " + e.getMessage());
        }
      }
      cvtColor(grid, grid, COLOR_RGB2BGR);
      Path parent = out.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      if (!imwrite(out.toString(), grid)) {
        throw new IllegalStateException("cannot write " + out);
      }
      System.out.printf("wrote %s: %d images x (original + %d variants), %dx%d px, spec %s (hash %s)%n", out, files.size(),
          variants, grid.cols(), grid.rows(), spec.canonical(), spec.hash());
    }
    return 0;
  }
}
