package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/locales/en"
	"github.com/go-playground/locales/zh"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	en_translations "github.com/go-playground/validator/v10/translations/en"
	zh_translations "github.com/go-playground/validator/v10/translations/zh"
)

// fieldErrors maps JSON field names to messages; it is returned for input
// that fails validation and rendered as the "fields" of the error body.
type fieldErrors map[string]string

func (f fieldErrors) Error() string {
	var b strings.Builder
	b.WriteString("invalid input:")
	for k, v := range f {
		fmt.Fprintf(&b, " %s: %s;", k, v)
	}
	return b.String()
}

// checker validates request structs and speaks English and Chinese.
type checker struct {
	v     *validator.Validate
	trans map[string]ut.Translator
}

var (
	checkerOnce sync.Once
	theChecker  *checker
)

// validation returns the process's validator, built once: validator
// registration is not safe for concurrent use, validation is.
func validation() *checker {
	checkerOnce.Do(func() {
		v := validator.New(validator.WithRequiredStructEnabled())
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			name := strings.SplitN(f.Tag.Get("json"), ",", 2)[0]
			if name == "-" {
				return ""
			}
			if name == "" {
				name = strings.SplitN(f.Tag.Get("form"), ",", 2)[0]
			}
			return name
		})
		uni := ut.New(en.New(), en.New(), zh.New())
		enT, _ := uni.GetTranslator("en")
		zhT, _ := uni.GetTranslator("zh")
		if err := en_translations.RegisterDefaultTranslations(v, enT); err != nil {
			panic(err)
		}
		if err := zh_translations.RegisterDefaultTranslations(v, zhT); err != nil {
			panic(err)
		}
		theChecker = &checker{v: v, trans: map[string]ut.Translator{"en": enT, "zh": zhT}}
	})
	return theChecker
}

// check validates dst and returns fieldErrors in language l.
func (ch *checker) check(dst any, l string) error {
	err := ch.v.Struct(dst)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	t := ch.trans[l]
	if t == nil {
		t = ch.trans["en"]
	}
	out := fieldErrors{}
	for _, fe := range verrs {
		// Namespace is Type.field[0].sub: drop the type, keep the JSON path.
		name := fe.Namespace()
		if i := strings.IndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		if _, seen := out[name]; !seen {
			out[name] = fe.Translate(t)
		}
	}
	return out
}

// decodeJSON reads a JSON body strictly into dst (unknown fields, wrong
// types, trailing data and oversize bodies are errors with a clear message)
// and validates it.
func decodeJSON(r *http.Request, dst any, l string) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("%w: %s", errBadRequest, msg(l, "Content-Type must be application/json", "Content-Type 必须是 application/json"))
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err // *http.MaxBytesError → 413
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, l)
	}
	if dec.More() {
		return fmt.Errorf("%w: %s", errBadRequest, msg(l, "unexpected data after the JSON object", "JSON 对象之后有多余内容"))
	}
	return validation().check(dst, l)
}

// jsonError explains a decoding error in the caller's language, naming the
// field when there is one.
func jsonError(err error, l string) error {
	var (
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return fmt.Errorf("%w: %s", errBadRequest, msg(l, "the body must be a JSON object", "请求体必须是 JSON 对象"))
		}
		return fieldErrors{field: msg(l, "must be of type "+jsonType(typeErr.Type), "类型必须是 "+jsonType(typeErr.Type))}
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("%w: %s", errBadRequest, msg(l,
			fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset), fmt.Sprintf("JSON 格式错误（第 %d 字节）", syntaxErr.Offset)))
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: %s", errBadRequest, msg(l, "the request body is empty", "请求体为空"))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldErrors{field: msg(l, "unknown field", "未知字段")}
	case errors.As(err, new(*http.MaxBytesError)):
		return err
	}
	return fmt.Errorf("%w: %s", errBadRequest, msg(l, "malformed JSON: ", "JSON 格式错误：")+err.Error())
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "array of " + jsonType(t.Elem())
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return t.String()
}
