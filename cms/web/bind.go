package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// validator is implemented by request types that can check themselves; it
// returns the offending fields.
type validator interface {
	Valid() map[string]string
}

// decode reads a JSON request body into dst (see cms.DecodeJSON): malformed
// JSON is a 400 that says where; a value of the wrong type or an unknown
// field is a 422 naming the field; an oversized body is a 413.
func (s *Server) decode(c *gin.Context, dst any) error {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxJSONBytes)
	if err := cms.DecodeJSON(body, dst); err != nil {
		var (
			ce     *cms.Error
			tooBig *http.MaxBytesError
		)
		switch {
		case errors.As(err, &ce):
			return err
		case errors.As(err, &tooBig):
			return &cms.Error{Code: cms.ETOOLARGE, Message: fmt.Sprintf("请求内容过大（上限 %d MB）", tooBig.Limit>>20)}
		}
		return cms.Errorf(cms.EBADREQUEST, "无法解析请求内容")
	}
	if v, ok := dst.(validator); ok {
		if f := v.Valid(); len(f) > 0 {
			return cms.Invalid(f)
		}
	}
	return nil
}

// idParam reads a positive integer path parameter.
func idParam(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, cms.Errorf(cms.ENOTFOUND, "资源不存在")
	}
	return id, nil
}

// maxPage bounds page numbers, so that an offset of (page-1)×per_page
// cannot overflow: a huge page is a 422 naming page, never a wrap-around to
// page 1. A million pages of 100 is far beyond any bureau's site.
const maxPage = 1_000_000

// pageQuery reads page and per_page query parameters.
func pageQuery(c *gin.Context) (cms.Page, error) {
	var p cms.Page
	var err error
	f := map[string]string{}
	if v := c.Query("page"); v != "" {
		if p.Page, err = strconv.Atoi(v); err != nil || p.Page < 1 || p.Page > maxPage {
			f["page"] = fmt.Sprintf("页码必须是1到%d之间的整数", maxPage)
		}
	}
	if v := c.Query("per_page"); v != "" {
		if p.PerPage, err = strconv.Atoi(v); err != nil || p.PerPage < 1 || p.PerPage > cms.MaxPerPage {
			f["per_page"] = fmt.Sprintf("每页条数必须在1到%d之间", cms.MaxPerPage)
		}
	}
	if len(f) > 0 {
		return p, cms.Invalid(f)
	}
	return p.Normalize(), nil
}

// list is the JSON shape of every list response.
type list[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page,omitempty"`
	PerPage int `json:"per_page,omitempty"`
}

func newList[T any](items []T, total int, p cms.Page) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: total, Page: p.Page, PerPage: p.PerPage}
}

// listAll is a list response holding every item, unpaged.
func listAll[T any](items []T) list[T] {
	return newList(items, len(items), cms.Page{})
}

// reply answers 200 with v, or returns err for handle to write.
func reply(c *gin.Context, v any, err error) error {
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// noContent answers 204, or returns err for handle to write.
func noContent(c *gin.Context, err error) error {
	if err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// needVersion is the Valid of an update, which must name the version it
// was based on so that two editors never silently overwrite each other;
// msg says what is missing.
func needVersion(version int, msg string) map[string]string {
	if version < 1 {
		return map[string]string{"version": msg}
	}
	return nil
}
