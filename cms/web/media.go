package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// Media files are kept and served by the media pipeline (cfg.Ingest): the
// original privately, for re-processing, the allow-listed variants publicly.

// handleMediaUpload takes multipart field "file", runs it through the media
// pipeline and stores the variants. The same bytes uploaded twice give the
// same media item.
func (s *Server) handleMediaUpload(c *gin.Context) error {
	if s.cfg.Ingest == nil || s.cfg.Media == nil {
		return cms.Errorf(cms.EUNAVAILABLE, "媒体服务未启用")
	}
	data, filename, err := s.readUpload(c)
	if err != nil {
		return err
	}
	stored, created, err := s.cfg.Ingest.IngestMedia(c.Request.Context(), data, filename)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	c.JSON(status, stored)
	return nil
}

// readUpload streams the "file" part of a multipart body into memory,
// refusing it once it passes the upload limit.
func (s *Server) readUpload(c *gin.Context) ([]byte, string, error) {
	limit := s.cfg.MaxUploadBytes
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit+1<<20)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, "", cms.Invalid(map[string]string{"file": "请以 multipart/form-data 上传，字段名为 file"})
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", cms.Invalid(map[string]string{"file": "没有收到文件（字段名应为 file）"})
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, "", tooLarge(limit)
		} else if err != nil {
			return nil, "", cms.Errorf(cms.EBADREQUEST, "上传内容不完整")
		}
		if part.FormName() != "file" {
			continue
		}
		// One buffer, sized from the request once: growing it as the
		// body arrives would copy a 12 MP photo several times over.
		var buf bytes.Buffer
		buf.Grow(int(min(max(c.Request.ContentLength, 0), limit+1) + bytes.MinRead))
		n, err := io.Copy(&buf, io.LimitReader(part, limit+1))
		if errors.As(err, &tooBig) || n > limit {
			return nil, "", tooLarge(limit)
		} else if err != nil {
			return nil, "", cms.Errorf(cms.EBADREQUEST, "上传内容不完整")
		}
		if n == 0 {
			return nil, "", cms.Invalid(map[string]string{"file": "文件是空的"})
		}
		return buf.Bytes(), path.Base(part.FileName()), nil
	}
}

func tooLarge(limit int64) error {
	return &cms.Error{Code: cms.ETOOLARGE, Message: fmt.Sprintf("文件过大，上限为 %d MB", limit>>20), Fields: map[string]string{"file": "文件过大"}}
}

func (s *Server) handleMediaList(c *gin.Context) error {
	p, err := pageQuery(c)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Media.FindMedia(c.Request.Context(), p)
	return reply(c, newList(items, total, p), err)
}

func (s *Server) handleMediaGet(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	m, err := s.cfg.Media.FindMediaByID(c.Request.Context(), id)
	return reply(c, m, err)
}

type mediaUpdateRequest struct {
	cms.MediaUpdate
}

func (r *mediaUpdateRequest) Valid() map[string]string {
	return needVersion(r.Version, "缺少版本号（version）")
}

// handleMediaUpdate changes alt text, caption, credit or the focal point; a
// new focal point re-renders the crops from the private original.
func (s *Server) handleMediaUpdate(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req mediaUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if err := req.MediaUpdate.Validate(); err != nil {
		return err
	}
	ctx := c.Request.Context()
	m, err := s.cfg.Media.UpdateMedia(ctx, id, req.MediaUpdate)
	if err != nil {
		return err
	}
	if req.FocusX != nil || req.FocusY != nil {
		if s.cfg.Ingest == nil {
			return cms.Errorf(cms.EUNAVAILABLE, "媒体服务未启用")
		}
		if err := s.cfg.Ingest.RerenderMedia(ctx, m); err != nil {
			return err
		}
	}
	s.queueBuild(ctx, fmt.Sprintf("media.update media:%d", id))
	c.JSON(http.StatusOK, m)
	return nil
}

func (s *Server) handleMediaDelete(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	m, err := s.cfg.Media.FindMediaByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.cfg.Media.DeleteMedia(ctx, id); err != nil {
		return err
	}
	// Each site keeps its own files (media.SiteStorage); they go unless
	// an item of this site holds the same picture again by now.
	_, err = s.cfg.Media.FindMediaByHash(ctx, m.Hash)
	if s.cfg.Ingest != nil && cms.ErrorCode(err) == cms.ENOTFOUND {
		_ = s.cfg.Ingest.DeleteMediaFiles(ctx, m)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// handleMediaFile serves a public variant of the Host's site, never of
// another site (each keeps its own files). Only allow-listed variant names
// resolve, so the private original can never be fetched.
func (s *Server) handleMediaFile(c *gin.Context) error {
	key := c.Param("hash") + "/" + c.Param("file")
	if s.cfg.Ingest == nil {
		return cms.Errorf(cms.ENOTFOUND, "图片不存在")
	}
	rc, err := s.cfg.Ingest.OpenMediaFile(c.Request.Context(), key)
	if err != nil {
		return cms.Errorf(cms.ENOTFOUND, "图片不存在")
	}
	defer rc.Close()
	c.Header("Content-Type", mime.TypeByExtension(".jpg"))
	c.Header("Cache-Control", "public, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Status(http.StatusOK)
	if c.Request.Method != http.MethodHead {
		_, _ = io.Copy(c.Writer, rc)
	}
	return nil
}
