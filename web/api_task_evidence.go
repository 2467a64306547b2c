package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// EvidenceStore keeps evidence files; store.Evidence is one.
type EvidenceStore interface {
	// Put stores a file and returns its new id.
	Put(ctx context.Context, f incident.EvidenceFile) (string, error)
	// Get returns a file, or incident.ErrNotFound.
	Get(ctx context.Context, id string) (incident.EvidenceFile, error)
	// Delete removes a file; a missing one is not an error.
	Delete(ctx context.Context, id string) error
}

// MaxEvidenceBody bounds an upload request: one file of the largest size,
// or several smaller ones, with the form's other fields.
const MaxEvidenceBody = incident.MaxEvidenceSize + 256<<10

// bodyLimit is how large the body of r may be: evidence uploads (the
// API's …/tasks/{task}/evidence and the ticket page's form of the same
// path) may carry a file; everything else is MaxBody.
func bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/evidence") &&
		(strings.HasPrefix(r.URL.Path, "/api/v1/incidents/") || strings.HasPrefix(r.URL.Path, "/incidents/")) {
		return MaxEvidenceBody
	}
	return MaxBody
}

// fileTooBigError is an evidence file over incident.MaxEvidenceSize.
type fileTooBigError struct{ name string }

func (e *fileTooBigError) Error() string { return e.EN() }

// EN is the message in English.
func (e *fileTooBigError) EN() string {
	return fmt.Sprintf("%s is larger than %d MiB, the limit for an evidence file", e.name, incident.MaxEvidenceSize>>20)
}

// ZH is the message in Chinese.
func (e *fileTooBigError) ZH() string {
	return fmt.Sprintf("%s 超过证据文件大小上限 %d MiB", e.name, incident.MaxEvidenceSize>>20)
}

// maxUploadFiles is how many files one upload may carry.
const maxUploadFiles = 10

// readUploads reads the files of a multipart form's "file" field, checking
// each against the size limit, and returns them named, hashed and sniffed,
// not yet stored.
func readUploads(c *gin.Context) ([]incident.EvidenceFile, error) {
	l := lang(c)
	form, err := c.MultipartForm()
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, mb
		}
		return nil, fmt.Errorf("%w: %s", errBadRequest, msg(l, "send the file as multipart/form-data in the field \"file\"",
			"请以 multipart/form-data 格式在 file 字段中上传文件"))
	}
	headers := form.File["file"]
	if len(headers) > maxUploadFiles {
		return nil, fieldErrors{"file": msg(l, fmt.Sprintf("at most %d files at once", maxUploadFiles), fmt.Sprintf("一次最多上传 %d 个文件", maxUploadFiles))}
	}
	var out []incident.EvidenceFile
	for _, h := range headers {
		f, err := readUpload(h)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func readUpload(h *multipart.FileHeader) (incident.EvidenceFile, error) {
	name := sanitizeFileName(h.Filename)
	if h.Size > incident.MaxEvidenceSize {
		return incident.EvidenceFile{}, &fileTooBigError{name: name}
	}
	f, err := h.Open()
	if err != nil {
		return incident.EvidenceFile{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, incident.MaxEvidenceSize+1))
	if err != nil {
		return incident.EvidenceFile{}, err
	}
	if len(data) > incident.MaxEvidenceSize {
		return incident.EvidenceFile{}, &fileTooBigError{name: name}
	}
	sum := sha256.Sum256(data)
	return incident.EvidenceFile{
		Evidence: incident.Evidence{Name: name, ContentType: http.DetectContentType(data), Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])},
		Data:     data,
	}, nil
}

// sanitizeFileName keeps the base name of an uploaded file, without
// directories, control characters, quotes or anything a header or a file
// system could misread, at most 120 characters; "evidence" when nothing is
// left.
func sanitizeFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), strings.ContainsRune(`"'<>:*?|/;%`+"`", r), unicode.Is(unicode.Bidi_Control, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.Trim(b.String(), " .")
	if utf8.RuneCountInString(out) > 120 {
		r := []rune(out)
		ext := path.Ext(out)
		if utf8.RuneCountInString(ext) > 20 {
			ext = ""
		}
		out = string(r[:120-utf8.RuneCountInString(ext)]) + ext
	}
	if out == "" {
		return "evidence"
	}
	return out
}

// storeEvidence stores files for task of inc and returns their references,
// and a function that deletes them again (when the incident update that
// was to reference them fails, so nothing is left half-written).
func (s *Server) storeEvidence(ctx context.Context, inc *incident.Incident, task string, files []incident.EvidenceFile, by incident.Actor) ([]incident.Evidence, func(), error) {
	var refs []incident.Evidence
	undo := func() {
		for _, r := range refs {
			if err := s.evidence.Delete(context.WithoutCancel(ctx), r.ID); err != nil {
				s.log.Error("delete evidence of a failed update", "incident", inc.Number, "evidence", r.ID, "err", err)
			}
		}
	}
	now := s.now().UTC()
	for _, f := range files {
		f.Incident, f.Task, f.By, f.At = inc.Number, task, by, now
		id, err := s.evidence.Put(ctx, f)
		if err != nil {
			undo()
			return nil, func() {}, err
		}
		f.ID = id
		refs = append(refs, f.Evidence)
	}
	return refs, undo, nil
}

// uploadEvidence stores the uploaded files and applies the command that
// references them (attaching them, or finishing the task with them); on a
// refusal the stored files are deleted again.
func (s *Server) uploadEvidence(c *gin.Context, inc *incident.Incident, version int64, taskID string, files []incident.EvidenceFile,
	command func([]incident.Evidence) incident.Command) (*incident.Incident, error) {
	if s.evidence == nil {
		return nil, errNoEvidence
	}
	p := principal(c)
	refs, undo, err := s.storeEvidence(c.Request.Context(), inc, taskID, files, actor(p))
	if err != nil {
		return nil, err
	}
	next, err := s.incidents.Work(c.Request.Context(), inc, version, command(refs), actor(p))
	if err != nil {
		undo()
		return nil, err
	}
	return next, nil
}

// apiEvidenceUpload attaches files to a task: multipart/form-data with
// "version", one or more "file" and an optional "note"; with
// "status=done" it finishes the task as well, the note being its result.
func (s *Server) apiEvidenceUpload(c *gin.Context) {
	l := lang(c)
	inc, err := s.viewable(c, c.Param("ref"))
	if err != nil {
		s.fail(c, err)
		return
	}
	taskID := c.Param("task")
	i := incident.TaskByID(inc.Tasks, taskID)
	if i < 0 {
		s.fail(c, fmt.Errorf("task %q: %w", taskID, incident.ErrTaskNotFound))
		return
	}
	if !access.CanWorkTask(principal(c), inc, &inc.Tasks[i]) {
		s.fail(c, access.ErrForbidden)
		return
	}
	files, err := readUploads(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	version, _ := strconv.ParseInt(c.PostForm("version"), 10, 64)
	if version < 1 {
		s.fail(c, fieldErrors{"version": msg(l, "give the version you saw", "请给出您看到的版本")})
		return
	}
	note, status := c.PostForm("note"), c.PostForm("status")
	if status != "" && status != string(incident.TaskDone) {
		s.fail(c, fieldErrors{"status": msg(l, "status may only be done here", "此处状态只能为 done")})
		return
	}
	next, err := s.uploadEvidence(c, inc, version, taskID, files, func(refs []incident.Evidence) incident.Command {
		if status == string(incident.TaskDone) {
			return incident.SetTaskStatus{Task: taskID, To: incident.TaskDone, Note: note, Evidence: refs}
		}
		return incident.AttachEvidence{Task: taskID, Files: refs, Note: note}
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toWorkJSON(next, s.cfg.BaseURL))
}

// inlineSafe are the sniffed types served as they are; anything else
// (HTML, scripts, SVG, XML …) is served as application/octet-stream, so a
// file can never run in the hub's origin.
var inlineSafe = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain; charset=utf-8",
	"application/zip", "application/x-gzip"}

// apiEvidenceDownload serves an evidence file to those who may see its
// incident, always as an attachment.
func (s *Server) apiEvidenceDownload(c *gin.Context) {
	inc, err := s.viewable(c, c.Param("ref"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.evidence == nil {
		s.fail(c, errNoEvidence)
		return
	}
	id := c.Param("id")
	// Only a file the incident lists: an id from another incident is not
	// served through this one.
	listed := slices.ContainsFunc(inc.Tasks, func(t incident.Task) bool {
		return slices.ContainsFunc(t.Evidence, func(e incident.Evidence) bool { return e.ID == id })
	})
	if !listed {
		s.fail(c, fmt.Errorf("evidence %s: %w", id, incident.ErrNotFound))
		return
	}
	f, err := s.evidence.Get(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctype := "application/octet-stream"
	if slices.Contains(inlineSafe, f.ContentType) {
		ctype = f.ContentType
	}
	h := c.Writer.Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Evidence-SHA256", f.SHA256)
	c.Data(http.StatusOK, ctype, f.Data)
}
