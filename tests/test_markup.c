/* test_markup.c — Markdown, LaTeX and Typst reduced to canonical text, on small documents. */
#include "harness.h"

#include "markup.h"
#include "protokoll.h"

/* The canonical text of a document given by name and content. */
static char *canon(const char *name, const char *src)
{
    pk_doc *d = NULL;
    char *err = NULL;
    pk_status st = pk_doc_from_memory(name, (const uint8_t *)src, strlen(src), &d, &err);
    pk_free(err);
    if (st != PK_OK) return NULL;
    char *t = d->text;
    d->text = NULL;
    pk_doc_free(d);
    return t;
}

#define CHECK_CANON(name, src, want) do { char *t_ = canon(name, src); CHECK_STR(t_, want); pk_free(t_); } while (0)

/* ---- Markdown ---- */

static void md_headings(void)
{
    CHECK_CANON("a.md", "# Mötesprotokoll\n##Kallade\n###  Beslut ##\nÖvrigt\n======\n\nNästa\n---\n",
                "# Mötesprotokoll\n\n## Kallade\n\n### Beslut\n\n# Övrigt\n\n## Nästa\n");
    /* a '#' run longer than six is text */
    CHECK_CANON("a.md", "####### inte rubrik\n", "####### inte rubrik\n");
}

static void md_lists(void)
{
    CHECK_CANON("a.md",
                "## Närvarande\n– Anna Andersson\n–\tBo Berg\n* Cecilia\n+ David\n\n1. Första\n2) Andra\n",
                "## Närvarande\n\n- Anna Andersson\n- Bo Berg\n- Cecilia\n- David\n\n1. Första\n2. Andra\n");
    CHECK_CANON("a.md",
                "- Marknadsföring\n  - Affischer\n    - Tryck 50 st\n  - Mejl\n- Budget\n",
                "- Marknadsföring\n  - Affischer\n    - Tryck 50 st\n  - Mejl\n- Budget\n");
    /* an indented line continues the item; an unindented one ends the list */
    CHECK_CANON("a.md", "- Lokal\n  bokad till fredag\n- När?\nTisdag 11e september.\n",
                "- Lokal bokad till fredag\n- När?\n\nTisdag 11e september.\n");
}

static void md_inline(void)
{
    CHECK_CANON("a.md",
                "Beslut: **Godkänd** budget, *preliminärt*, __se__ [bilagan](https://x.se/a.pdf) och `make test`.\n",
                "Beslut: Godkänd budget, preliminärt, se bilagan och make test.\n");
    CHECK_CANON("a.md", "närvarande_medlemmar och 5 * 3 = 15, ~~struken~~ text\n",
                "närvarande_medlemmar och 5 * 3 = 15, struken text\n");
    CHECK_CANON("a.md", "Kontakt: <styrelsen@dvet.se> &amp; <https://dvet.se> &auml;r &#246;ppen\\*\n",
                "Kontakt: styrelsen@dvet.se & https://dvet.se är öppen*\n");
    CHECK_CANON("a.md", "Text <!-- dold\nkommentar --> synlig <b>fet</b><br>ny\n![logga](l.png)\n",
                "Text\nsynlig fet ny\nlogga\n");
    CHECK_CANON("a.md", "[1]: https://example.org\nSe [källan][1].\n", "Se källan.\n");
    CHECK_CANON("a.md", "Sa&#x30A;", "Så\n");      /* an entity that composes: NFC all the same */
}

static void md_blocks(void)
{
    CHECK_CANON("a.md",
                "| Roll | Namn |\n| --- | :---: |\n| Ordförande | **Anna** |\n| Kassör | Bo |\n\nEfter tabellen.\n",
                "Roll\tNamn\nOrdförande\tAnna\nKassör\tBo\n\nEfter tabellen.\n");
    CHECK_CANON("a.md", "Före\n\n```bash\nmake   test\n  ./protokoll read\n```\n\n> Citat **här**\n> fortsätter\n\n***\nSlut\n",
                "Före\n\nmake   test\n  ./protokoll read\n\nCitat här\nfortsätter\n\nSlut\n");
    /* paragraph lines stay lines */
    CHECK_CANON("a.md", "Att: Godkänna äskningen.\nBeslut: Attsats bifalles\n",
                "Att: Godkänna äskningen.\nBeslut: Attsats bifalles\n");
}

/* ---- LaTeX ---- */

static void tex_structure(void)
{
    CHECK_CANON("a.tex",
                "\\documentclass{article}\n\\usepackage[swedish]{babel}\n% kommentar\n\\title{Styrelsemöte 3}\n"
                "\\begin{document}\n\\maketitle\n\\section{Öppnande}\nMötet öppnas\nkl.~17.00.\n\n"
                "\\subsection{Val}Text.\\subsubsection*{Beslut}\n\\begin{itemize}\n\\item Anna väljs.\n"
                "\\item Bo väljs\\label{x}.\n\\end{itemize}\n\\section{Avslut}\\paragraph{Nästa}Snart.\n\\end{document}\nefter slutet\n",
                "title\tStyrelsemöte 3\n\n# 1 Öppnande\n\nMötet öppnas kl. 17.00.\n\n## 1.1 Val\n\nText.\n\n"
                "### Beslut\n\n- Anna väljs.\n- Bo väljs.\n\n# 2 Avslut\n\n#### Nästa\n\nSnart.\n");
    /* chapters shift levels; secnumdepth and \titleformat hide numbers */
    CHECK_CANON("a.tex", "\\begin{document}\\chapter{Inledning}\\section{Bakgrund}\\subsection{Detalj}\\end{document}",
                "# 1 Inledning\n\n## 1.1 Bakgrund\n\n### 1.1.1 Detalj\n");
    CHECK_CANON("a.tex", "\\begin{document}\\chapter{A}\\subsubsection{B}\\end{document}", "# 1 A\n\n#### B\n");
    CHECK_CANON("a.tex", "\\titleformat{\\section}{\\bfseries}{}{0em}{}\n\\begin{document}\\section{A}\\subsection{B}\\end{document}",
                "# A\n\n## 1.1 B\n");
    CHECK_CANON("a.tex", "\\setcounter{secnumdepth}{0}\\begin{document}\\section{A}\\end{document}", "# A\n");
}

static void tex_lists_tables(void)
{
    CHECK_CANON("a.tex",
                "\\begin{enumerate}\n\\item Ett\n\\item Två\n  \\begin{itemize}\\item Under\\end{itemize}\n\\end{enumerate}\n"
                "\\begin{description}[style=multiline]\\item[2021-10-11] Ingen uppdatering.\\item[\\textbf{Kassör}] Bo\\end{description}\n",
                "1. Ett\n2. Två\n  - Under\n\n- 2021-10-11\tIngen uppdatering.\n- Kassör\tBo\n");
    CHECK_CANON("a.tex",
                "\\begin{tabular}{@{}p{0.5\\textwidth}l@{}}\n\\hline\n\\textbf{Ordförande} & \\textbf{Sekreterare} \\\\[0.3em]\n"
                "Anna Ek & Bo Berg \\\\\n\\vspace{8em} &\\\\\n\\multicolumn{2}{c}{Justeras} \\\\\n\\end{tabular}\n",
                "Ordförande\tSekreterare\nAnna Ek\tBo Berg\nJusteras\n");
}

static void tex_custom_macros(void)
{
    CHECK_CANON("a.tex",
                "\\def\\ordf{Daniell Cole}\n\\def\\vak{\\emph{vakant}}\n\\def\\vice{\\vak}\n\\newcommand{\\hej}[1]{Hej #1!}\n"
                "\\begin{document}\n\\textbf{Närvarande:}\n\\begin{närvarande_förtroendevalda}\n"
                "    \\förtroendevald{Ordförande}{\\ordf}{Ja}\n    \\förtroendevald{Vice ordförande}{\\vice}{---}\n"
                "    \\förtroendevald{Kassör}{Owais Tabbaa}{}\n\\end{närvarande_förtroendevalda}\n"
                "\\begin{närvarande_medlemmar}\n\\medlem{Sarah Manktelow}%[(tillkom)]\n\\medlem[Ordförande]{Albin}{Ja}\n"
                "\\end{närvarande_medlemmar}\n\\ordf\\ väljs. \\hej{Bo} \\okänd{med text} slut.\n\\styrelsesignaturer\n\\end{document}\n",
                "Närvarande:\n\nnärvarande_förtroendevalda:\nOrdförande\tDaniell Cole\tJa\nVice ordförande\tvakant\t—\n"
                "Kassör\tOwais Tabbaa\t\n\nnärvarande_medlemmar:\nSarah Manktelow\nOrdförande\tAlbin\tJa\n\n"
                "Daniell Cole väljs. Hej Bo! med text slut.\n");
    CHECK_CANON("a.tex", "\\begin{document}\\begin{attsatser}\n\\item bifalles\n\\end{attsatser}\\end{document}",
                "attsatser:\n- bifalles\n");
}

static void tex_characters(void)
{
    CHECK_CANON("a.tex",
                "\\begin{document}\n7 kap. 5 \\S~första stycket, ``citat'' och \\enquote{annat}, 2020--11--24 --- slut\\ldots{} "
                "\\textasciitilde{}30.000 kr, 50\\% \\& mer. R\\\"ostl\\\"angd {\\\"a} \\aa r \\'e \\c{c} \\o\n"
                "\\href{https://x.se}{länken} \\url{https://dvet.se} \\verb|a_b| \\footnote{not} $a \\lor b$\n\\end{document}",
                "7 kap. 5 § första stycket, \"citat\" och \"annat\", 2020–11–24 — slut… ~30.000 kr, 50% & mer. "
                "Röstlängd ä å r é ç ø länken https://dvet.se a_b (not) a ∨ b\n");
    CHECK_CANON("a.tex", "\\begin{document}\\textbf{Datum:} \\csname @date\\endcsname\\\\\n\\textbf{Tid:} 11:00\\\\\n"
                         "\\date{2022-04-07}\\end{document}",
                "Datum:\nTid: 11:00\n\ndate\t2022-04-07\n");
    CHECK_CANON("a.tex", "\\date{2022-04-07}\\begin{document}\\textbf{Datum:} \\csname @date\\endcsname\\\\ Tid\\end{document}",
                "date\t2022-04-07\n\nDatum: 2022-04-07\nTid\n");
}

static void tex_robustness(void)
{
    /* unbalanced braces, runaway macros, deep nesting: text out, no crash */
    char *t = canon("a.tex", "\\def\\a{\\a\\a}\\begin{document}x \\a y{{{{\\textbf{z\\end{document}");
    CHECK(t != NULL);
    pk_free(t);
    char deep[20000];
    size_t k = 0;
    for (int i = 0; i < 5000; i++) deep[k++] = '{';
    memcpy(deep + k, "text", 4); k += 4;
    deep[k] = 0;
    t = canon("b.tex", deep);
    CHECK(t != NULL);
    pk_free(t);
    /* headings and accents inside each other, deeper than any document */
    size_t cap = 400000, m = 0;
    char *s = malloc(cap);
    for (int i = 0; i < 20000; i++) { memcpy(s + m, "\\section{\\\"{", 12); m += 12; }
    s[m] = 0;
    t = canon("c.tex", s);
    CHECK(t != NULL);
    pk_free(t);
    free(s);
}

/* ---- Typst ---- */

static void typ_basics(void)
{
    CHECK_CANON("a.typ",
                "#import \"mall.typ\": setup, deltagere\n#set text(lang: \"sv\")\n#let time = \"12:00\"\n"
                "#show: setup.with(\n  time: time,\n  title: \"\",\n  location: \"EA\",\n  date: datetime(year: 2024, month: 11, day: 15),\n)\n\n"
                "= Öppnande av möte\nMötet öppnades #time. // kommentar\nAndra raden #linebreak()\nTredje *fet* _kursiv_ `kod`.\n\n"
                "== Val\n/* block\nkommentar */\n- Anna\n- Bo\n  - Nästlad\n+ Ett\n+ Två\n#pagebreak()\n=== Beslut\n",
                "time\t12:00\nlocation\tEA\ndate\t2024-11-15\n\n# Öppnande av möte\n\nMötet öppnades 12:00. Andra raden\n"
                "Tredje fet kursiv kod.\n\n## Val\n\n- Anna\n- Bo\n  - Nästlad\n1. Ett\n2. Två\n\n### Beslut\n");
}

static void typ_calls(void)
{
    CHECK_CANON("a.typ",
                "#deltagere(\n    styrelsen: true,\n    [Samuel Hammersberg], [Ja],\n    [Tim Persson], [Ja på länk],\n)\n\n"
                "#attSatser(\n  [\n    Styrelsen har uppnått kraven och är\n    därmed beslutbar.\n  ],\n  [bifalles]\n)\n"
                "#signatures()\n#formalia.rundaBordet\n",
                "deltagere:\nSamuel Hammersberg\tJa\nTim Persson\tJa på länk\n\n"
                "attSatser:\n- Styrelsen har uppnått kraven och är därmed beslutbar.\n- bifalles\n");
    CHECK_CANON("a.typ",
                "#ordningsFråga([Tim Persson], [\n  Paus behövs. \\\n  #ordningsFrågaBody(\n    förslag: \"Att ta en paus\",\n  )\n])\n",
                "ordningsFråga:\nTim Persson\n\nPaus behövs.\n\nordningsFrågaBody:\nförslag\tAtt ta en paus\n");
    CHECK_CANON("a.typ",
                "#heading(outlined: false, \"Städdagar\", numbering: none, level: 4)\nText #link(\"https://x.se\")[här] och "
                "#link(\"https://y.se\"). #image(\"a.png\", width: 40%) #emoji.tree #align(center, [Mitten])\n",
                "#### Städdagar\n\nText här och https://y.se.\n\nMitten\n");
    CHECK_CANON("a.typ", "#table(columns: (1fr, 2fr), [Roll], [Namn], [Kassör], [Bo])\n",
                "Roll\tNamn\nKassör\tBo\n");
    CHECK_CANON("a.typ", "#set heading(numbering: \"1.1\")\n= A\n== B\n== C\n= D\n",
                "# 1 A\n\n## 1.1 B\n\n## 1.2 C\n\n# 2 D\n");
}

static void typ_robustness(void)
{
    char *t = canon("a.typ", "#f(\"ej stängd, [x\n= Rubrik\n#let = \n#{ let x = 1\n#g(((((\n");
    CHECK(t != NULL);
    pk_free(t);
    /* calls, code and content nested far deeper than any document */
    size_t cap = 400000, m = 0;
    char *s = malloc(cap);
    const char *pieces[] = {"#a(b(", "#f([", "#{(", "#f([= x\n#g(["};
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        m = 0;
        size_t pl = strlen(pieces[k]);
        while (m + pl < cap - 1) { memcpy(s + m, pieces[k], pl); m += pl; }
        s[m] = 0;
        t = canon("d.typ", s);
        CHECK(t != NULL);
        pk_free(t);
    }
    free(s);
}

/* ---- format detection ---- */

static void sniffing(void)
{
    const char *tex = "\\documentclass{article}\n\\begin{document}\nHej\n\\end{document}\n";
    const char *typ = "#import \"x.typ\": *\n#let time = \"1\"\n= Rubrik\n";
    const char *md = "# Mötesprotokoll LiTHe kod\n## 2 September 2021\n##Kallade\n– Axel\n";
    const char *txt = "Minnesanteckningar\n\nTid\t8.30\n";
    CHECK_INT(markup_sniff(tex, strlen(tex)), PK_FMT_LATEX);
    CHECK_INT(markup_sniff(typ, strlen(typ)), PK_FMT_TYPST);
    CHECK_INT(markup_sniff(md, strlen(md)), PK_FMT_MARKDOWN);
    CHECK_INT(markup_sniff(txt, strlen(txt)), PK_FMT_TEXT);
    CHECK_INT(markup_format_of_name("x/y.MD"), PK_FMT_MARKDOWN);
    CHECK_INT(markup_format_of_name("y.tex.gz"), PK_FMT_LATEX);
    CHECK_INT(markup_format_of_name("y.typ"), PK_FMT_TYPST);
    CHECK_INT(markup_format_of_name("y.txt"), PK_FMT_TEXT);
    CHECK_INT(markup_format_of_name("styrelsemote_210902"), -1);
    CHECK_INT(markup_format_of_name(".md"), -1);
    pk_doc *d = NULL;
    char *err = NULL;
    CHECK(pk_doc_from_memory("styrelsemote_210902", (const uint8_t *)md, strlen(md), &d, &err) == PK_OK);
    CHECK(d && d->format == PK_FMT_MARKDOWN && strstr(d->text, "\n## Kallade\n\n- Axel\n"));
    pk_doc_free(d);
}

int main(void)
{
    t_suite = "markup";
    RUN(md_headings);
    RUN(md_lists);
    RUN(md_inline);
    RUN(md_blocks);
    RUN(tex_structure);
    RUN(tex_lists_tables);
    RUN(tex_custom_macros);
    RUN(tex_characters);
    RUN(tex_robustness);
    RUN(typ_basics);
    RUN(typ_calls);
    RUN(typ_robustness);
    RUN(sniffing);
    TEST_MAIN_END();
}
