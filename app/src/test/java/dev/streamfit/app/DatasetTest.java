package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    Files.writeString(d.resolve("test/owl/a.PNG"), "x");
    Files.writeString(d.resolve("test/owl/notes.txt"), "x");
    Dataset ds = Dataset.of(d);
    assertThat(ds.labels()).containsExactly("Crow", "owl", "wren");
    assertThat(ds.modelName()).isEqualTo("my-birds-");
    assertThat(ds.firstImage("test")).contains(d.resolve("test/owl/a.PNG"));
    assertThat(ds.firstImage("validation")).isEmpty();
  }

  @Test
  void aFolderWithoutTwoClassesIsRefusedWithTheLayout() throws Exception {
    Path d = tmp.resolve("flat");
    Files.createDirectories(d.resolve("train/only"));
    assertThatThrownBy(() -> Dataset.of(d)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 class folder(s) [only]").hasMessageContaining("<split>/<class>/<image>");
    assertThatThrownBy(() -> Dataset.of(tmp.resolve("missing"))).hasMessageContaining("is not a folder");
  }

  @Test
  void aClassFolderWhoseNameBreaksTheLabelRuleIsRefused() throws Exception {
    Path d = tmp.resolve("odd");
    Files.createDirectories(d.resolve("train/cat"));
    Files.createDirectories(d.resolve("train/dog;rm -rf"));
    assertThatThrownBy(() -> Dataset.of(d)).hasMessageContaining("class folder label 'dog;rm -rf' is not allowed")
        .hasMessageContaining("a label is 1 to 64 characters");
  }
}
