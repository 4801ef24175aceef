package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AugmentPreviewTest {
  @TempDir
  Path tmp;

  @Test
  void writesAGridOfOriginalsAndVariants() throws Exception {
    Path data = Path.of(System.getProperty("streamfit.root", "..")).resolve("data/clothing-sample");
    Path out = tmp.resolve("grid.png");
    int rc = Main.commandLine().execute("augment", "preview", "--data", data.toString(), "--out", out.toString(),
        "--images", "2", "--variants", "3", "--image-size", "64", "--shear-range", "10");
    assertThat(rc).isZero();
    BufferedImage img = ImageIO.read(out.toFile());
    assertThat(img.getWidth()).isEqualTo(4 * 64 + 3 * 4);
    assertThat(img.getHeight()).isEqualTo(2 * 64 + 4);
    // the first variant differs from the original cell
    int differ = 0;
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        differ += img.getRGB(x, y) != img.getRGB(68 + x, y) ? 1 : 0;
      }
    }
    assertThat(differ).isGreaterThan(64 * 64 / 2);
  }
}
