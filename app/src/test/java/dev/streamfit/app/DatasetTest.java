package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.pipeline.Dataset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's reading of a {@code <split>/<class>/<image>} folder: labels, model name, sample image. */
class DatasetTest {
  @TempDir
  Path tmp;

  @Test
  void labelsAreTheClassFoldersOfEverySplitSorted() throws Exception {
    Path d = tmp.resolve("My Birds!");
    Files.createDirectories(d.resolve("train/wren"));
    Files.createDirectories(d.resolve("train/Crow"));
    Files.createDirectories(d.resolve("test/owl"));
    Files.createDirectories(d.resolve("train/.hidden"));
    Files.createDirectories(d.resolve("train/empty")); // no image: not a class
    Files.writeString(d.resolve("train/wren/w.jpg"), "x");
    Files.writeString(d.resolve("train/Crow/c.jpeg"), "x");
    Files.writeString(d.resolve("train/.hidden/h.jpg"), "x");
    Files.writeString(d.resolve("train/empty/notes.txt"), "x");
    Files.writeString(d.resolve("test/owl/a.PNG"), "x");
    Files.writeString(d.resolve("test/owl/notes.txt"), "x");
    Dataset ds = Dataset.of(d);
    assertThat(ds.labels()).containsExactly("Crow", "owl", "wren");
    assertThat(ds.modelName()).isEqualTo("my-birds-");
    assertThat(Dataset.of(d).modelName()).matches("[a-z0-9][a-z0-9._-]*");
    assertThat(ds.firstImage("test")).contains(d.resolve("test/owl/a.PNG"));
    assertThat(ds.firstImage("validation")).isEmpty();
  }

  @Test
  void aFolderWithoutTwoClassesIsRefusedWithTheLayout() throws Exception {
    Path d = tmp.resolve("flat");
    Files.createDirectories(d.resolve("train/only"));
    Files.writeString(d.resolve("train/only/a.png"), "x");
    assertThatThrownBy(() -> Dataset.of(d)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 class folder(s) with images [only]").hasMessageContaining("<split>/<class>/<image>");
    assertThatThrownBy(() -> Dataset.of(tmp.resolve("missing"))).hasMessageContaining("is not a folder");
  }

  @Test
  void aClassFolderWhoseNameBreaksTheLabelRuleIsRefused() throws Exception {
    Path d = tmp.resolve("odd");
    Files.createDirectories(d.resolve("train/cat"));
    Files.createDirectories(d.resolve("train/dog;rm -rf"));
    Files.writeString(d.resolve("train/cat/a.png"), "x");
    Files.writeString(d.resolve("train/dog;rm -rf/b.png"), "x");
    assertThatThrownBy(() -> Dataset.of(d)).hasMessageContaining("(its class folders)")
        .hasMessageContaining("label 'dog;rm -rf' is not allowed").hasMessageContaining("a label is 1 to 64 characters");
    Files.createDirectories(d.resolve("test/Cat"));
    Files.writeString(d.resolve("test/Cat/c.png"), "x");
    Files.move(d.resolve("train/dog;rm -rf"), d.resolve("train/dog"));
    assertThatThrownBy(() -> Dataset.of(d)).hasMessageContaining("labels 'Cat' and 'cat' differ only in case");
  }
}
