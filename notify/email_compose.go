package notify

import (
	"bytes"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// emailHTML is the HTML part. html/template escapes every text for its
// context, so a title "<script>" arrives as text; the only links are the
// incident's page and the hub's own URLs found in the body.
var emailHTML = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body>
<h2>{{.Subject}}</h2>
{{range .Paragraphs}}<p>{{range $i, $line := .}}{{if $i}}<br>
{{end}}{{range $line}}{{if .URL}}<a href="{{.URL}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}{{end}}</p>
{{end}}{{if .Link}}<p><a href="{{.Link}}">` + robotButton + `</a></p>
{{end}}</body></html>
`))

// emailView is what emailHTML shows.
type emailView struct {
	Subject    string
	Paragraphs [][][]segment // paragraphs of lines of segments
	Link       string
}

// segment is a piece of a line: text, or a link to the hub.
type segment struct {
	Text string
	URL  string
}

// composeEmail renders m as an RFC 5322 message with CRLF line ends.
func composeEmail(from *mail.Address, to []*mail.Address, id string, m Message, link, baseURL string, now time.Time) ([]byte, error) {
	subject := oneLine(m.Subject)
	plain := strings.ReplaceAll(m.Body, "\r\n", "\n")
	if link != "" && !strings.Contains(plain, link) {
		plain = strings.TrimRight(plain, "\n") + "\n\n" + link + "\n"
	}
	var html bytes.Buffer
	if err := emailHTML.Execute(&html, emailView{Subject: subject, Paragraphs: paragraphs(m.Body, baseURL), Link: link}); err != nil {
		return nil, err
	}

	var b bytes.Buffer
	recipients := make([]string, len(to))
	for i, a := range to {
		recipients[i] = a.String()
	}
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", strings.Join(recipients, ",\r\n "))
	header("Subject", encodeSubject(subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	header("Auto-Submitted", "auto-generated")
	if printableASCII(m.Key) {
		header(HeaderDelivery, m.Key)
	}
	mw := multipart.NewWriter(&b)
	header("Content-Type", "multipart/alternative; boundary=\""+mw.Boundary()+"\"")
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, text string }{
		{"text/plain; charset=utf-8", crlf(plain)},
		{"text/html; charset=utf-8", crlf(html.String())},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qw := quotedprintable.NewWriter(w)
		if _, err := qw.Write([]byte(part.text)); err != nil {
			return nil, err
		}
		if err := qw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encodeSubject encodes a subject as RFC 2047 encoded-words (UTF-8,
// base64) when it is not plain ASCII, folding between the words.
func encodeSubject(s string) string {
	return strings.ReplaceAll(mime.BEncoding.Encode("utf-8", s), "?= =?", "?=\r\n =?")
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return s != ""
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// paragraphs splits text at blank lines into paragraphs of lines, each
// line into text and links to the hub at baseURL (other URLs stay text:
// a link in a report is not made clickable in a mail from the hub).
func paragraphs(text, baseURL string) [][][]segment {
	var out [][][]segment
	var cur [][]segment
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, linkify(line, baseURL))
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func linkify(line, baseURL string) []segment {
	prefix := strings.TrimRight(baseURL, "/") + "/"
	if baseURL == "" {
		return []segment{{Text: line}}
	}
	var out []segment
	for {
		i := strings.Index(line, prefix)
		if i < 0 {
			break
		}
		end := i + strings.IndexFunc(line[i:]+" ", func(r rune) bool {
			return r == ' ' || r == '\t' || r == '"' || r == '<' || r == '>' || r > 0x7e
		})
		if i > 0 {
			out = append(out, segment{Text: line[:i]})
		}
		out = append(out, segment{Text: line[i:end], URL: line[i:end]})
		line = line[end:]
	}
	if line != "" {
		out = append(out, segment{Text: line})
	}
	return out
}
