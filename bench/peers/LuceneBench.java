// LuceneBench.java — Lucene as a peer: index every file of a folder with SwedishAnalyzer (Snowball
// Swedish stems and stopwords), then time a topic trend by year over the stemmed terms.
//
//   java -cp lucene-core.jar:lucene-analyzers-common.jar:DIR LuceneBench INDEXDIR PREFIX RUNS DIR
//
// One document per file: path (stored, not analysed), year (doc values, from the first YYYY-MM-DD in
// the file name), body (stored), text (analysed, positions, stored).  One indexing thread, a 256 MB
// RAM buffer, no compound files so that the size of each component can be read from the file
// extensions.  The trend enumerates the terms that start with PREFIX and sums, per year, the
// matching documents and term frequencies: the same work as `protokoll trend 'PREFIX*'`.
// Results are markdown rows "| metric | value | unit |".
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.lucene.analysis.sv.SwedishAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.FixedBitSet;
import org.apache.lucene.util.StringHelper;

public final class LuceneBench {
    private static final Pattern DATE = Pattern.compile("(\\d{4})-\\d{2}-\\d{2}");

    private static boolean wanted(Path p) {
        String n = p.getFileName().toString();
        return !n.startsWith(".") && (n.endsWith(".txt") || n.endsWith(".md") || n.endsWith(".tex") || n.endsWith(".typ"));
    }

    private static String bodyOf(Path p) {
        Path parent = p.getParent();
        if (parent == null) return "";
        String name = parent.getFileName().toString();
        if (name.matches("\\d{4}") && parent.getParent() != null) return parent.getParent().getFileName().toString();
        return name;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: LuceneBench INDEXDIR PREFIX RUNS DIR");
            System.exit(2);
        }
        Path indexDir = Paths.get(args[0]);
        String prefix = args[1];
        int runs = Integer.parseInt(args[2]);
        Path root = Paths.get(args[3]);

        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).filter(LuceneBench::wanted).forEach(files::add);
        }
        files.sort(null);

        long t0 = System.nanoTime();
        long textBytes = 0;
        IndexWriterConfig cfg = new IndexWriterConfig(new SwedishAnalyzer());
        cfg.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
        cfg.setRAMBufferSizeMB(256);
        cfg.setUseCompoundFile(false);
        TieredMergePolicy mp = new TieredMergePolicy();
        mp.setNoCFSRatio(0.0);
        cfg.setMergePolicy(mp);
        try (FSDirectory dir = FSDirectory.open(indexDir); IndexWriter w = new IndexWriter(dir, cfg)) {
            for (Path p : files) {
                byte[] raw = Files.readAllBytes(p);
                textBytes += raw.length;
                String text = new String(raw, StandardCharsets.UTF_8);
                Matcher m = DATE.matcher(p.getFileName().toString());
                int year = m.find() ? Integer.parseInt(m.group(1)) : 0;
                Document d = new Document();
                d.add(new StringField("path", p.toString(), Field.Store.YES));
                d.add(new NumericDocValuesField("year", year));
                d.add(new StoredField("body", bodyOf(p)));
                d.add(new TextField("text", text, Field.Store.YES));
                w.addDocument(d);
            }
            w.commit();
        }
        long t1 = System.nanoTime();

        // size by component
        long dict = 0, postings = 0, positions = 0, stored = 0, docvalues = 0, norms = 0, other = 0, total = 0;
        try (Stream<Path> s = Files.list(indexDir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                long sz = Files.size(p);
                total += sz;
                String n = p.getFileName().toString();
                String ext = n.contains(".") ? n.substring(n.lastIndexOf('.') + 1) : "";
                switch (ext) {
                    case "tim": case "tip": case "tmd": dict += sz; break;
                    case "doc": postings += sz; break;
                    case "pos": case "pay": positions += sz; break;
                    case "fdt": case "fdx": case "fdm": stored += sz; break;
                    case "dvd": case "dvm": docvalues += sz; break;
                    case "nvd": case "nvm": norms += sz; break;
                    default: other += sz;
                }
            }
        }

        // the trend, warm
        BytesRef pre = new BytesRef(prefix);
        double[] lat = new double[runs];
        TreeMap<Integer, long[]> result = null;
        try (FSDirectory dir = FSDirectory.open(indexDir); DirectoryReader reader = DirectoryReader.open(dir)) {
            // the year of every document, loaded once (the equivalent of a document table in memory)
            int[][] years = new int[reader.leaves().size()][];
            for (LeafReaderContext ctx : reader.leaves()) {
                LeafReader leaf = ctx.reader();
                int[] ys = new int[leaf.maxDoc()];
                NumericDocValues dv = leaf.getNumericDocValues("year");
                if (dv != null) {
                    for (int doc = dv.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = dv.nextDoc()) ys[doc] = (int) dv.longValue();
                }
                years[ctx.ord] = ys;
            }
            for (int r = -20; r < runs; r++) {
                long a = System.nanoTime();
                TreeMap<Integer, long[]> byYear = new TreeMap<>();
                for (LeafReaderContext ctx : reader.leaves()) {
                    LeafReader leaf = ctx.reader();
                    Terms terms = leaf.terms("text");
                    if (terms == null) continue;
                    Bits live = leaf.getLiveDocs();
                    int[] ys = years[ctx.ord];
                    FixedBitSet seen = new FixedBitSet(leaf.maxDoc());
                    long[] hitsByDoc = null;
                    TermsEnum te = terms.iterator();
                    PostingsEnum pe = null;
                    if (te.seekCeil(pre) == TermsEnum.SeekStatus.END) continue;
                    do {
                        BytesRef t = te.term();
                        if (!StringHelper.startsWith(t, pre)) break;
                        pe = te.postings(pe, PostingsEnum.FREQS);
                        for (int doc = pe.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = pe.nextDoc()) {
                            if (live != null && !live.get(doc)) continue;
                            seen.set(doc);
                            if (hitsByDoc == null) hitsByDoc = new long[leaf.maxDoc()];
                            hitsByDoc[doc] += pe.freq();
                        }
                    } while (te.next() != null);
                    for (int doc = seen.nextSetBit(0); doc != DocIdSetIterator.NO_MORE_DOCS;
                         doc = doc + 1 < seen.length() ? seen.nextSetBit(doc + 1) : DocIdSetIterator.NO_MORE_DOCS) {
                        long[] c = byYear.computeIfAbsent(ys[doc], k -> new long[2]);
                        c[0]++;
                        c[1] += hitsByDoc[doc];
                    }
                }
                long b = System.nanoTime();
                if (r >= 0) lat[r] = (b - a) / 1e6;
                result = byYear;
            }
        }
        Arrays.sort(lat);
        double med = lat[runs / 2], p99 = lat[(int) ((runs - 1) * 0.99)];
        double mb = textBytes / 1e6, secs = (t1 - t0) / 1e9;
        long docs = 0, hits = 0;
        for (long[] c : result.values()) { docs += c[0]; hits += c[1]; }

        System.out.printf("| lucene version | %s | version |%n", org.apache.lucene.util.Version.LATEST);
        System.out.printf("| lucene documents | %d | docs |%n", files.size());
        System.out.printf("| lucene text | %.1f | MB |%n", mb);
        System.out.printf("| lucene indexing (read, analyse, commit) | %.2f | s |%n", secs);
        System.out.printf("| lucene indexing throughput | %.2f | MB/s |%n", mb / secs);
        System.out.printf("| lucene indexing throughput | %.0f | docs/s |%n", files.size() / secs);
        System.out.printf("| lucene index size | %d | bytes |%n", total);
        System.out.printf("| lucene index size / text | %.3f | ratio |%n", total / (double) textBytes);
        System.out.printf("| lucene dictionary (tim, tip, tmd) / text | %.3f | ratio |%n", dict / (double) textBytes);
        System.out.printf("| lucene postings (doc) / text | %.3f | ratio |%n", postings / (double) textBytes);
        System.out.printf("| lucene positions (pos, pay) / text | %.3f | ratio |%n", positions / (double) textBytes);
        System.out.printf("| lucene norms and doc values / text | %.3f | ratio |%n", (norms + docvalues) / (double) textBytes);
        System.out.printf("| lucene dictionary + postings + positions + norms + doc values / text | %.3f | ratio |%n",
                          (dict + postings + positions + norms + docvalues) / (double) textBytes);
        System.out.printf("| lucene stored fields / text | %.3f | ratio |%n", stored / (double) textBytes);
        System.out.printf("| lucene other files / text | %.3f | ratio |%n", other / (double) textBytes);
        System.out.printf("| lucene trend query | %s* | query |%n", prefix);
        System.out.printf("| lucene trend matching docs | %d | docs |%n", docs);
        System.out.printf("| lucene trend matching hits | %d | hits |%n", hits);
        System.out.printf("| lucene trend latency median | %.3f | ms |%n", med);
        System.out.printf("| lucene trend latency p99 | %.3f | ms |%n", p99);
        System.out.printf("| lucene trend runs | %d | runs |%n", runs);
        for (var e : result.entrySet())
            System.out.printf("| trend %d | %d | %d |%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
    }
}
