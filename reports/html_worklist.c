/* The per-domain worklist in HTML: rows as JSON data and a small inline script that sorts,
 * filters and pages them in the browser. 100,000 rows stay usable: the page holds one JSON
 * block (fix texts interned: their domain is a placeholder, the text stored once) and the
 * table shows 100 rows at a time, so neither parsing nor layout grows with the list. */
#include "reports/html_worklist.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"

/* Runs on DOMContentLoaded. Reads #wl-data (JSON: {"cols": [...], "rows": [[...]...]}) and
 * #wl-dict (the fix texts, \u0001 where the domain goes); renders PAGE rows of the filtered,
 * sorted list into #wl-body. Every value is set with textContent: remote bytes stay text. */
static const char script[] =
    "(function(){'use strict';var PAGE=100;"
    "function $(i){return document.getElementById(i);}"
    "var data=JSON.parse($('wl-data').textContent),dict=JSON.parse($('wl-dict').textContent);"
    "var cols=data.cols,rows=data.rows,fix=cols.indexOf('fix'),num=data.num;"
    "rows.forEach(function(r){if(fix>=0&&typeof r[fix]==='number')"
    "r[fix]=dict[r[fix]].split('\\u0001').join(r[0]);});"
    "var view=rows,key=-1,dir=1,page=0,q=$('wl-q'),st=$('wl-status'),info=$('wl-info');"
    "function text(v){return v===null||v===undefined?'':String(v);}"
    "function apply(){var s=q.value.toLowerCase(),f=st.value;"
    "view=rows.filter(function(r){if(f&&r[2]!==f)return false;if(!s)return true;"
    "for(var i=0;i<r.length;i++)if(text(r[i]).toLowerCase().indexOf(s)>=0)return true;"
    "return false;});"
    "if(key>=0){var k=key,n=num[k];view=view.map(function(r,i){return[r,i];});"
    "view.sort(function(a,b){var x=a[0][k],y=b[0][k],c;"
    "if(n){x=x===null?Infinity:x;y=y===null?Infinity:y;c=x<y?-1:x>y?1:0;}"
    "else{c=text(x).localeCompare(text(y));}return c*dir||a[1]-b[1];});"
    "view=view.map(function(p){return p[0];});}page=0;draw();}"
    "function draw(){var body=$('wl-body'),frag=document.createDocumentFragment();"
    "var pages=Math.max(1,Math.ceil(view.length/PAGE));if(page>=pages)page=pages-1;"
    "view.slice(page*PAGE,page*PAGE+PAGE).forEach(function(r){var tr=document.createElement('tr');"
    "r.forEach(function(v,i){var td=document.createElement('td'),t=text(v);td.textContent=t;"
    "if(num[i])td.className='n';else if(t.length<=40&&t.indexOf(' ')<0)td.className='w';"
    "tr.appendChild(td);});frag.appendChild(tr);});"
    "body.replaceChildren(frag);info.textContent=view.length+' of '+rows.length+"
    "' domains, page '+(page+1)+' of '+pages;}"
    "document.querySelectorAll('#t-domains th').forEach(function(th,i){"
    "th.tabIndex=0;th.title='sort';th.addEventListener('click',function(){"
    "if(key===i)dir=-dir;else{key=i;dir=1;}"
    "document.querySelectorAll('#t-domains "
    "th').forEach(function(h){h.removeAttribute('aria-sort');});"
    "th.setAttribute('aria-sort',dir>0?'ascending':'descending');apply();});});"
    "q.addEventListener('input',apply);st.addEventListener('change',apply);"
    "$('wl-prev').addEventListener('click',function(){if(page>0){page--;draw();}});"
    "$('wl-next').addEventListener('click',function(){page++;draw();});"
    "$('wl-controls').hidden=false;$('wl-nojs').hidden=true;apply();})();";

static char csp[96];
static pthread_once_t csp_once = PTHREAD_ONCE_INIT;

static void csp_compute(void)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)script, strlen(script), md);
    unsigned char b64[64];
    EVP_EncodeBlock(b64, md, sizeof md);
    snprintf(csp, sizeof csp, "'sha256-%s'", (const char *)b64);
}

const char *html_worklist_script_csp(void)
{
    pthread_once(&csp_once, csp_compute);
    return csp;
}

/* JSON text safe inside <script>: no '<', '>' or '&' that could end the element. */
static void json_in_script(struct sbuf *b, const char *s)
{
    struct sbuf j = SBUF_INIT;
    esc_json_str(&j, s);
    for (const char *p = sbuf_str(&j); *p; p++) {
        if (*p == '<')
            sbuf_puts(b, "\\u003c");
        else if (*p == '>')
            sbuf_puts(b, "\\u003e");
        else if (*p == '&')
            sbuf_puts(b, "\\u0026");
        else
            sbuf_putc(b, *p);
    }
    if (j.oom)
        b->oom = true;
    sbuf_free(&j);
}

#define DICT_SLOTS 4096 /* distinct fix templates: a few dozen in practice */

struct html_worklist {
    char *slot[DICT_SLOTS]; /* open addressing: template strings */
    int index[DICT_SLOTS];
    char **order; /* by index, for the dictionary block */
    size_t n;
    struct sbuf tmp;
    bool first;
};

static int intern(struct html_worklist *w, const char *t)
{
    size_t h = 1469598103934665603ULL;
    for (const char *p = t; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (size_t i = h % DICT_SLOTS, k = 0; k < DICT_SLOTS; i = (i + 1) % DICT_SLOTS, k++) {
        if (!w->slot[i]) {
            if (w->n >= DICT_SLOTS / 2)
                return -1; /* too many distinct texts: emitted inline */
            char **o = realloc(w->order, (w->n + 1) * sizeof *o);
            char *copy = strdup(t);
            if (!o || !copy) {
                free(copy);
                if (o)
                    w->order = o;
                return -1;
            }
            w->order = o;
            w->slot[i] = copy;
            w->index[i] = (int)w->n;
            w->order[w->n++] = copy;
            return w->index[i];
        }
        if (!strcmp(w->slot[i], t))
            return w->index[i];
    }
    return -1;
}

struct html_worklist *html_worklist_begin(struct sbuf *b, const struct report_col *cols,
                                          size_t ncols)
{
    struct html_worklist *w = calloc(1, sizeof *w);
    sbuf_puts(b, "<p id=\"wl-nojs\" class=\"note\">This worklist is drawn by the page's script; "
                 "the csv and json formats carry the same rows.</p>\n"
                 "<div id=\"wl-controls\" hidden><label>Filter <input id=\"wl-q\" "
                 "type=\"search\" placeholder=\"domain, category, warning...\"></label> "
                 "<label>Status <select id=\"wl-status\"><option value=\"\">all</option>"
                 "<option>invalid</option><option>valid</option><option>no_policy</option>"
                 "<option>dns_error</option><option>domain_nxdomain</option></select></label> "
                 "<button id=\"wl-prev\" type=\"button\">previous</button> <button "
                 "id=\"wl-next\" type=\"button\">next</button> <span id=\"wl-info\"></span> "
                 "<span class=\"note\">Click a heading to sort.</span></div>\n"
                 "<div class=\"tw\"><table id=\"t-domains\">\n<thead><tr>");
    for (size_t i = 0; i < ncols; i++) {
        sbuf_puts(b, "<th>");
        esc_html(b, cols[i].label);
        sbuf_puts(b, "</th>");
    }
    sbuf_puts(b, "</tr></thead>\n<tbody id=\"wl-body\"></tbody></table></div>\n"
                 "<script type=\"application/json\" id=\"wl-data\">{\"cols\":[");
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            sbuf_putc(b, ',');
        json_in_script(b, cols[i].name);
    }
    sbuf_puts(b, "],\"num\":[");
    for (size_t i = 0; i < ncols; i++)
        sbuf_puts(b, i ? (cols[i].kind == REPORT_INT ? ",true" : ",false")
                       : (cols[i].kind == REPORT_INT ? "true" : "false"));
    sbuf_puts(b, "],\"rows\":[\n");
    if (w)
        w->first = true;
    return w;
}

void html_worklist_row(struct html_worklist *w, struct sbuf *b, const struct report_col *cols,
                       size_t ncols, const struct report_cell *cells)
{
    if (!w)
        return;
    sbuf_puts(b, w->first ? "[" : ",\n[");
    w->first = false;
    const char *domain = ncols ? cells[0].s : NULL;
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            sbuf_putc(b, ',');
        const struct report_cell *c = &cells[i];
        if (cols[i].kind == REPORT_INT) {
            if (c->null)
                sbuf_puts(b, "null");
            else
                sbuf_printf(b, "%lld", (long long)c->n);
            continue;
        }
        if (!c->s) {
            sbuf_puts(b, "null");
            continue;
        }
        if (!strcmp(cols[i].name, "fix") && domain && *domain) {
            /* The template: the domain back to a placeholder, the text stored once. */
            sbuf_reset(&w->tmp);
            size_t dl = strlen(domain);
            for (const char *p = c->s; *p;) {
                const char *m = strstr(p, domain);
                if (!m) {
                    sbuf_puts(&w->tmp, p);
                    break;
                }
                sbuf_append(&w->tmp, p, (size_t)(m - p));
                sbuf_putc(&w->tmp, '\x01');
                p = m + dl;
            }
            int k = intern(w, sbuf_str(&w->tmp));
            if (k >= 0) {
                sbuf_printf(b, "%d", k);
                continue;
            }
        }
        json_in_script(b, c->s);
    }
    sbuf_putc(b, ']');
}

void html_worklist_end(struct html_worklist *w, struct sbuf *b)
{
    sbuf_puts(b, "\n]}</script>\n<script type=\"application/json\" id=\"wl-dict\">[");
    for (size_t i = 0; w && i < w->n; i++) {
        if (i)
            sbuf_puts(b, ",\n");
        json_in_script(b, w->order[i]);
    }
    sbuf_puts(b, "]</script>\n<script>");
    sbuf_puts(b, script);
    sbuf_puts(b, "</script>\n");
    if (!w)
        return;
    for (size_t i = 0; i < DICT_SLOTS; i++)
        free(w->slot[i]);
    free(w->order);
    sbuf_free(&w->tmp);
    free(w);
}
