package dev.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelSetTest {
  @TempDir
  Path dir;

  @Test
  void listsFilesAndFoldersGiveTheSameConcept() throws Exception {
    LabelSet a = LabelSet.parse(" cat, dog ,owl", "--labels");
    assertThat(a.labels()).containsExactly("cat", "dog", "owl");
    assertThat(a.indexOf("dog")).isEqualTo(1);
    assertThat(a.indexOf("cow")).isEqualTo(-1);
    Files.writeString(dir.resolve("labels.txt"), "# classes\ncat\n\ndog\nowl\n");
    assertThat(LabelSet.fromFile(dir.resolve("labels.txt"), "--labels-file")).isEqualTo(a);
    for (String c : List.of("owl", "cat", "dog")) {
      Files.createDirectories(dir.resolve("data/train").resolve(c));
      Files.writeString(dir.resolve("data/train").resolve(c).resolve("x.PNG"), "x");
    }
    Files.createDirectories(dir.resolve("data/test/empty"));
    assertThat(LabelSet.fromFolders(dir.resolve("data"), "--data")).isEqualTo(a);
  }

  @Test
  void badSetsAreRefusedWithTheReason() {
    assertThatThrownBy(() -> LabelSet.parse("cat", "--labels")).hasMessageContaining("--labels must name 2 to 1000 classes, named 1");
    assertThatThrownBy(() -> LabelSet.parse("", "--labels")).hasMessageContaining("named 0");
    assertThatThrownBy(() -> LabelSet.of(IntStream.range(0, 10_000).mapToObj(i -> "c" + i).toList(), "--labels"))
        .hasMessageContaining("2 to 1000 classes, named 10000");
    assertThatThrownBy(() -> LabelSet.parse("cat,cat", "--labels")).hasMessageContaining("'cat' appears twice");
    assertThatThrownBy(() -> LabelSet.parse("Hat,hat", "--labels")).hasMessageContaining("differ only in case");
    assertThatThrownBy(() -> LabelSet.parse("a/b,c", "--labels")).hasMessageContaining("a label is 1 to 64 characters");
    assertThatThrownBy(() -> LabelSet.of(List.of("a", "b\u0007"), "--labels")).hasMessageContaining("\\u0007");
  }
}
