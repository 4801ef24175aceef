package dev.streamfit.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A flat folder with a labels CSV, globs and a list of paths, published with their labels and splits. */
@ExtendWith(KafkaBrokerExtension.class)
class IngestSourcesTest {
  @TempDir
  Path dir;

  @Test
  void csvGlobsAndListsBecomeItemsWithTheirLabels(KafkaBroker broker) throws Exception {
    Files.write(dir.resolve("a.jpg"), TestImages.sampleJpeg("train", "hat"));
    Files.write(dir.resolve("b.jpg"), TestImages.sampleJpeg("validation", "shoes"));
    Files.write(dir.resolve("c.jpg"), TestImages.sampleJpeg("test", "pants"));
    Files.createDirectories(dir.resolve("more/deep"));
    Files.write(dir.resolve("more/deep/d.jpg"), TestImages.sampleJpeg("test", "hat"));
    Files.writeString(dir.resolve("labels.csv"), "path,label,split\na.jpg,hat,train\nb.jpg,shoes,validation\nc.jpg,,\n");

    List<IngestItem> csv = IngestSources.fromCsv(dir.resolve("labels.csv"));
    assertThat(csv).extracting(IngestItem::source, IngestItem::label, IngestItem::split).containsExactly(
        org.assertj.core.groups.Tuple.tuple("a.jpg", "hat", Split.TRAIN),
        org.assertj.core.groups.Tuple.tuple("b.jpg", "shoes", Split.VALIDATION),
        org.assertj.core.groups.Tuple.tuple("c.jpg", null, Split.UNLABELED));

    List<IngestItem> globbed = IngestSources.fromPaths(List.of("*.jpg", "more/**.jpg"), dir, Split.TEST, "pants");
    assertThat(globbed).extracting(IngestItem::source).containsExactly("a.jpg", "b.jpg", "c.jpg", "more/deep/d.jpg");
    assertThat(globbed).allSatisfy(i -> assertThat(i.split()).isEqualTo(Split.TEST));
    assertThatThrownBy(() -> IngestSources.fromPaths(List.of("*.png"), dir, Split.UNLABELED, null))
        .hasMessageContaining("matches no file");
    assertThatThrownBy(() -> IngestSources.fromPaths(List.of("nope.jpg"), dir, Split.UNLABELED, null))
        .hasMessageContaining("no such file");

    List<IngestItem> listed = IngestSources.fromLines(new BufferedReader(new StringReader(
        "more/deep/d.jpg,hat,test\n\nc.jpg\n")), dir);
    assertThat(listed).extracting(IngestItem::label).containsExactly("hat", null);
    assertThatThrownBy(() -> IngestSources.fromLines(new BufferedReader(new StringReader("a.jpg,hat,later\n")), dir))
        .hasMessageContaining("split must be");

    Topics topics = new Topics("ingest-sources-", 1, (short) 1);
    IngestStage stage = new IngestStage(IngestConfig.of(broker.bootstrapServers(), topics, null));
    List<IngestItem> all = new ArrayList<>(csv);
    all.addAll(listed);
    IngestSummary s = stage.run(all, null);
    assertThat(s.published()).isEqualTo(4);
    assertThat(s.duplicates()).isEqualTo(1); // c.jpg twice
    List<RawImage> raws = IngestStageTest.readAll(broker, topics.raw()).stream().map(AvroSerde.of(RawImage.class)::decode)
        .toList();
    assertThat(raws).extracting(r -> r.getSource().toString(), r -> r.getLabel() == null ? null : r.getLabel().toString(),
        RawImage::getSplit).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple("a.jpg", "hat", Split.TRAIN),
        org.assertj.core.groups.Tuple.tuple("b.jpg", "shoes", Split.VALIDATION),
        org.assertj.core.groups.Tuple.tuple("c.jpg", null, Split.UNLABELED),
        org.assertj.core.groups.Tuple.tuple("more/deep/d.jpg", "hat", Split.TEST));
  }

  @Test
  void imagesLargerThanTheMaxSideAreDownscaledAtTheEdge(KafkaBroker broker) throws Exception {
    byte[] large = TestImages.unusual().get("large"); // 4000 x 5000 JPEG
    Files.write(dir.resolve("large.jpg"), large);
    Files.write(dir.resolve("small.jpg"), TestImages.sampleJpeg("test", "hat")); // 400 px wide: kept as received
    Topics topics = new Topics("ingest-downscale-", 1, (short) 1);
    IngestStage stage = new IngestStage(IngestConfig.of(broker.bootstrapServers(), topics, null).withMaxSide(1024));
    IngestSummary s = stage.run(IngestSources.fromPaths(List.of("*.jpg"), dir, Split.TRAIN, "hat"), null);
    assertThat(s.published()).isEqualTo(2);
    List<RawImage> raws = IngestStageTest.readAll(broker, topics.raw()).stream().map(AvroSerde.of(RawImage.class)::decode)
        .toList();
    RawImage big = raws.stream().filter(r -> r.getSource().toString().startsWith("large.jpg")).findFirst().orElseThrow();
    assertThat(big.getId().toString()).isEqualTo(dev.streamfit.common.Hashes.sha256Hex(large));
    assertThat(big.getSource().toString()).contains("downscaled at ingest from 4000x5000");
    byte[] content = new byte[big.getContent().remaining()];
    big.getContent().duplicate().get(content);
    assertThat(content.length).isLessThan(large.length);
    var header = new dev.streamfit.imaging.ImageDecoder(dev.streamfit.imaging.DecodeLimits.defaults()).probe(content);
    assertThat(header.width()).isEqualTo(819);
    assertThat(header.height()).isEqualTo(1024);
    RawImage small = raws.stream().filter(r -> r.getSource().toString().equals("small.jpg")).findFirst().orElseThrow();
    assertThat(small.getContent().remaining()).isEqualTo(TestImages.sampleJpeg("test", "hat").length);
    // The id is the hash of the bytes as received, so ingesting the large file again publishes nothing.
    assertThat(stage.run(IngestSources.fromPaths(List.of("large.jpg"), dir, Split.TRAIN, "hat"), null).duplicates())
        .isEqualTo(1);
  }
}
